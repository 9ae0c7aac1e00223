"""Deterministic generator of the Maison Lysa demo brand (catalog, ads, reviews, CRM) from a seed."""

from cadencia.tools.seed.generate import Scale, seed_store

__all__ = ["Scale", "seed_store"]
