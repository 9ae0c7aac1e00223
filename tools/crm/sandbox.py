"""crm on the SQL sandbox store: the reference implementation of the crm backend."""

from __future__ import annotations

from cadencia.tools.sandbox import SandboxCapability


class SandboxCrm(SandboxCapability):
    """Filled in by the crm capability."""

    capability = "crm"
