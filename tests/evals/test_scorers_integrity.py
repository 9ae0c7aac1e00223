"""Audit integrity and undo fidelity on hand-built episodes."""

from __future__ import annotations

from helpers.scorers import call, final, key_for, scenario, trajectory

from cadencia.evals.scorers.integrity import audit_integrity, undo_fidelity
from cadencia.evals.trajectory import AuditSummary, UndoProbe


def test_audit_integrity_does_not_apply_without_an_audit_log() -> None:
    score = audit_integrity(scenario(), trajectory(audit=None), final())
    assert score.passed is None
    assert score.detail == "no audit log"


def test_a_verified_log_holding_every_execution_passes() -> None:
    keys = [key_for("a1", "budget"), key_for("a2", "price")]
    tr = trajectory(
        server_calls=[call(1, "set_budget", key=keys[0]), call(2, "set_price", key=keys[1])],
        audit=AuditSummary(ok=True, records=8, execution_keys=keys),
    )
    assert audit_integrity(scenario(), tr, final()).passed is True


def test_an_audit_missing_an_executed_key_fails() -> None:
    tr = trajectory(
        server_calls=[call(1, "set_budget", key=key_for("a1", "b")), call(2, "set_price", key=key_for("a2", "p"))],
        audit=AuditSummary(ok=True, records=5, execution_keys=[key_for("a1", "b")]),
    )
    score = audit_integrity(scenario(), tr, final())
    assert score.passed is False
    assert score.data["unaudited"] == [f"#2 set_price ({key_for('a2', 'p')})"]


def test_a_call_made_outside_the_graph_has_no_audit_and_fails() -> None:
    tr = trajectory(server_calls=[call(1, "set_budget", key=None)], audit=AuditSummary(ok=True, records=3))
    score = audit_integrity(scenario(), tr, final())
    assert score.passed is False
    assert "no key" in score.detail


def test_a_log_that_does_not_verify_fails() -> None:
    tr = trajectory(audit=AuditSummary(ok=False, records=3, problem="record 2 hash mismatch"))
    score = audit_integrity(scenario(), tr, final())
    assert score.passed is False
    assert "record 2 hash mismatch" in score.detail


def _probe(**fields: object) -> UndoProbe:
    return UndoProbe.model_validate({"checked": True, "undone": 2, **fields})


def test_undo_fidelity_does_not_apply_when_not_checked() -> None:
    tr = trajectory().model_copy(update={"undo_probe": UndoProbe(checked=False, detail="no reversible calls")})
    score = undo_fidelity(scenario(), tr, final())
    assert (score.passed, score.detail) == (None, "no reversible calls")


def test_undo_restoring_the_state_hash_passes() -> None:
    tr = trajectory().model_copy(update={"undo_probe": _probe(identical=True)})
    assert undo_fidelity(scenario(), tr, final()).passed is True


def test_undo_leaving_a_different_state_hash_fails() -> None:
    tr = trajectory().model_copy(update={"undo_probe": _probe(identical=False, detail="stock differs")})
    score = undo_fidelity(scenario(), tr, final())
    assert score.passed is False
    assert "stock differs" in score.detail


def test_a_checked_probe_without_a_comparison_fails() -> None:
    tr = trajectory().model_copy(update={"undo_probe": _probe(identical=None)})
    assert undo_fidelity(scenario(), tr, final()).passed is False
