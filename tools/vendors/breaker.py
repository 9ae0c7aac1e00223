"""A circuit breaker: after repeated failures a vendor is reported unavailable at once instead of being hammered."""

from __future__ import annotations

import time
from collections.abc import Callable

from cadencia.tools.errors import VendorUnavailable


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `cooldown_s` one trial call is let through (half-open)."""

    def __init__(
        self, vendor: str, *, threshold: int = 5, cooldown_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.vendor = vendor
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None and self._clock() - self._opened_at < self.cooldown_s

    def check(self) -> None:
        """Raise VendorUnavailable while open; let a trial call through once the cool-down has passed."""
        if self._opened_at is None:
            return
        remaining = self.cooldown_s - (self._clock() - self._opened_at)
        if remaining > 0:
            raise VendorUnavailable(
                f"{self.vendor} is unavailable: {self._failures} consecutive failures opened the circuit; "
                f"retry in {remaining:.0f}s",
                rule="circuit_open",
            )

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self.threshold:
            self._opened_at = self._clock()
