"""ads on the SQL sandbox store: the reference implementation of the ads backend."""

from __future__ import annotations

from cadencia.tools.sandbox import SandboxCapability


class SandboxAds(SandboxCapability):
    """Filled in by the ads capability."""

    capability = "ads"
