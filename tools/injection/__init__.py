"""Prompt-injection detection for third-party text (reviews, notes, product copy): no goal, no model, no network."""

from cadencia.tools.injection.detector import FLAG_SCORE, SUSPECT_SCORE, Detection, Signal, detect
from cadencia.tools.injection.intent import Capability, addresses, capabilities_of

__all__ = [
    "FLAG_SCORE",
    "SUSPECT_SCORE",
    "Capability",
    "Detection",
    "Signal",
    "addresses",
    "capabilities_of",
    "detect",
]
