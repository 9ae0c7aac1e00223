"""reviews on the SQL sandbox store: the reference implementation of the reviews backend."""

from __future__ import annotations

from cadencia.tools.sandbox import SandboxCapability


class SandboxReviews(SandboxCapability):
    """Filled in by the reviews capability."""

    capability = "reviews"
