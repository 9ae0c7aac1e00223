"""Where the servers' safety state lives, and opening it once per server process.

Approvals, budgets and the kill switch share one database (`$CADENCIA_APPROVALS_URL`, else `WORKDIR/approvals.db`),
the audit log is the graph's own (`$CADENCIA_AUDIT_URL`, else `WORKDIR/audit.db`, signed with
`WORKDIR/audit-signing-key.pem`): one inbox and one log whoever acted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from cadencia.servers.safety.guard import ServerSafety
from cadencia.tools.approvals import ApprovalStore
from cadencia.tools.audit import KEY_FILENAME, AuditLog
from cadencia.tools.policy.server import ServerPolicy
from cadencia.tools.policy.usage import UsageStore
from cadencia.tools.reversibility import Reversibility


def approvals_url(root: Path) -> str:
    """The approvals (and budgets, kill switch) database of a workdir."""
    return os.environ.get("CADENCIA_APPROVALS_URL") or str(root / "approvals.db")


def audit_url(root: Path) -> str:
    return os.environ.get("CADENCIA_AUDIT_URL") or str(root / "audit.db")


@contextmanager
def open_safety(
    policy: ServerPolicy, *, root: Path, registry: Mapping[str, Reversibility], audit: bool = True
) -> Iterator[ServerSafety]:
    """The safety layer over the workdir's approvals, budgets and audit log; closed (counts flushed, log signed)
    when the server stops."""
    root.mkdir(parents=True, exist_ok=True)
    approvals = ApprovalStore.open(approvals_url(root))
    usage = UsageStore.open(approvals_url(root))
    log = AuditLog.open(audit_url(root), key_path=root / KEY_FILENAME) if audit else None
    safety = ServerSafety(policy, approvals=approvals, usage=usage, registry=registry, audit=log)
    try:
        yield safety
    finally:
        safety.close()
        if log is not None:
            log.close()
        usage.close()
        approvals.close()
