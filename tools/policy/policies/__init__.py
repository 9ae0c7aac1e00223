"""Packaged guardrail policies (YAML): `default.yaml` and the Maison Lysa `demo.yaml`."""
