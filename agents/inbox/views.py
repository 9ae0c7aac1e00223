"""What the inbox shows of one approval, read alike from a graph ticket (an assessment) or a server ticket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from cadencia.agents.actions import Assessment
from cadencia.tools.approvals import ApprovalRecord, ApprovalState


class Shelf(StrEnum):
    """Which list an approval sits on."""

    PENDING = "pending"
    ANSWERED = "answered"
    EXPIRED = "expired"


@dataclass(frozen=True)
class VerdictView:
    rule: str
    decision: str
    reason: str


@dataclass(frozen=True)
class ApprovalView:
    """One approval as a person reads it: the action in words, its arguments, reversibility, verdicts and effect."""

    approval_id: str
    kind: str
    """`graph` (a paused run: can be edited) or `server` (an MCP client's call: approve or reject)."""
    tool: str
    in_words: str
    args: dict[str, Any]
    reversibility: str
    verdicts: list[VerdictView]
    blast_radius: dict[str, Any]
    expected_effect: str
    rationale: str
    request_hash: str
    state: str
    shelf: Shelf
    run_id: str | None
    subject: str | None
    requested_at: datetime
    expires_at: datetime
    approver: str | None
    note: str
    answered_at: datetime | None
    risk: str = ""
    entities: list[str] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.kind == "graph" and self.shelf is Shelf.PENDING

    @property
    def args_json(self) -> str:
        return json.dumps(self.args, indent=2, ensure_ascii=False, sort_keys=True)


def shelf_of(record: ApprovalRecord, now: datetime) -> Shelf:
    """Pending until answered or past its deadline (an unanswered ticket past it can only expire)."""
    if record.state is ApprovalState.EXPIRED:
        return Shelf.EXPIRED
    if record.state is ApprovalState.PENDING:
        return Shelf.EXPIRED if now > record.expires_at else Shelf.PENDING
    return Shelf.ANSWERED


def _args_in_words(tool: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
    return f"Run {tool} with {shown}" if shown else f"Run {tool}"


def approval_view(record: ApprovalRecord, now: datetime) -> ApprovalView:
    """The view of a stored ticket; a graph ticket carries an assessment, a server ticket its own request."""
    request = record.request if isinstance(record.request, dict) else {}
    common = {
        "approval_id": record.approval_id,
        "tool": record.tool,
        "request_hash": record.request_hash,
        "state": record.state.value,
        "shelf": shelf_of(record, now),
        "run_id": record.run_id,
        "subject": record.subject,
        "requested_at": record.requested_at,
        "expires_at": record.expires_at,
        "approver": record.approver,
        "note": record.note,
        "answered_at": record.answered_at,
    }
    if record.run_id is not None and "action" in request:
        try:
            assessment = Assessment.model_validate(request)
        except ValidationError:
            assessment = None
        if assessment is not None:
            action = assessment.action
            return ApprovalView(
                kind="graph",
                in_words=_args_in_words(action.tool, assessment.effective_args),
                args=dict(assessment.effective_args),
                reversibility=assessment.reversibility.value,
                verdicts=[VerdictView(v.rule, v.decision.value, v.reason) for v in assessment.verdicts],
                blast_radius={"entities": ", ".join(action.entities)} if action.entities else {},
                expected_effect=action.expected_effect,
                rationale=action.rationale,
                risk=assessment.risk,
                entities=list(action.entities),
                **common,
            )
    args = request.get("arguments") if isinstance(request.get("arguments"), dict) else {}
    verdicts = [
        VerdictView(str(v.get("rule", "")), str(v.get("decision", "")), str(v.get("reason", "")))
        for v in request.get("verdicts") or []
        if isinstance(v, dict)
    ]
    blast = request.get("blast_radius") if isinstance(request.get("blast_radius"), dict) else {}
    return ApprovalView(
        kind="server",
        in_words=str(request.get("in_words") or _args_in_words(record.tool, args)),
        args=args,
        reversibility=str(request.get("reversibility", "unknown")),
        verdicts=verdicts,
        blast_radius={k: v for k, v in blast.items() if v},
        expected_effect=str(request.get("expected_effect", "")),
        rationale="",
        **common,
    )
