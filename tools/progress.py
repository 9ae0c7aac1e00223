"""Progress of long backend work (a forecast scan, a reach estimate over a million contacts, a sales report).

A backend's blocking code calls `report(done, total, message)` as it goes; whoever runs the call (the MCP server,
when the client asked for progress) decides where it goes by `reporting_to(sink)`. Nobody listening: a no-op. The
sink travels in a context variable, so it reaches the worker thread a store call runs on (anyio copies the context
into it) without a parameter on every backend method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ProgressSink = Callable[[float, float | None, str | None], None]
"""`(done, total, message)`; called on the thread doing the work."""

_sink: ContextVar[ProgressSink | None] = ContextVar("cadencia_progress", default=None)


def listening() -> bool:
    """Whether someone listens (so work done only to report progress, such as a count, can be skipped)."""
    return _sink.get() is not None


def report(done: float, total: float | None = None, message: str | None = None) -> None:
    """Tell whoever listens how far the current call got (nothing happens when nobody does)."""
    sink = _sink.get()
    if sink is not None:
        sink(done, total, message)


@contextmanager
def reporting_to(sink: ProgressSink) -> Iterator[None]:
    """Send the progress reported inside this block (and the worker threads it starts) to `sink`."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)
