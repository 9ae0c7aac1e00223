"""The injection detector: does third-party text carry instructions aimed at an agent?

A score, not a verdict: every instruction shape found (in the text as shown, in what markup or encodings hide,
after undoing look-alike letters) adds its weight once; hiding an instruction adds more. Pure Python, no model, no
network; the same function serves the servers (no goal needed) and the agent's guardrails and planners.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from cadencia.tools.injection.intent import (
    BEACON,
    OPEN_PARAMETER,
    TOOLS,
    Capability,
    addresses,
    asks_about,
    tool_mentions,
)
from cadencia.tools.injection.lexicon import SHAPES, Kind
from cadencia.tools.injection.reveal import Segment, fold, reveal

FLAG_SCORE = 4
"""At or above: the text carries an instruction for an agent (flag it, never act on it)."""
SUSPECT_SCORE = 2
"""At or above: the text may; irreversible actions in the capabilities it asks about need a person."""
HIDDEN_WEIGHT = 2
MARK_WEIGHT = 1
TOOL_WEIGHT = 3
EXFILTRATION_WEIGHT = 3
BEACON_WEIGHT = 3
ACTION_WEIGHT = 1
DECODED_MIN_SCORE = 3
"""A decoding that is always possible (rot13) counts only when what it decodes to scores this much on its own."""


class Signal(BaseModel):
    """One piece of evidence: what was found, its weight, where (the channel) and an excerpt."""

    model_config = ConfigDict(frozen=True)

    name: str
    weight: int
    channel: str = "text"
    evidence: str = ""


class Detection(BaseModel):
    """The detector's reading of one text."""

    model_config = ConfigDict(frozen=True)

    score: int
    signals: list[Signal] = Field(default_factory=list)
    asks_about: list[Capability] = Field(default_factory=list, description="Capabilities the text asks to act in.")
    addresses: list[str] = Field(default_factory=list, description="URLs, e-mail addresses and handles in the text.")

    @property
    def flagged(self) -> bool:
        return self.score >= FLAG_SCORE

    @property
    def suspicious(self) -> bool:
        return self.score >= SUSPECT_SCORE

    def reason(self) -> str:
        """The strongest evidence, for a verdict or a moderation note."""
        top = sorted(self.signals, key=lambda s: -s.weight)[:3]
        return "; ".join(f"{s.name} ({s.channel}: {s.evidence!r})" if s.evidence else s.name for s in top)


def _excerpt(text: str, start: int, end: int) -> str:
    return text[max(0, start - 10) : end + 10][:80]


def _shapes(folded: str, channel: str, tools: Collection[str]) -> list[Signal]:
    found = []
    for shape in SHAPES:
        match = shape.pattern.search(folded)
        if match:
            found.append(
                Signal(name=shape.kind.value, weight=shape.weight, channel=channel, evidence=match.group(0)[:80])
            )
    named = tool_mentions(folded, tools)
    if named:
        found.append(Signal(name="names the agent's tools", weight=TOOL_WEIGHT, channel=channel, evidence=named[0]))
    asked = asks_about(folded)
    if asked:
        found.append(
            Signal(name="asks for an action", weight=ACTION_WEIGHT, channel=channel, evidence=min(asked).value)
        )
    if Capability.DATA in asked and addresses(folded):
        found.append(Signal(name="asks to send data to an address", weight=EXFILTRATION_WEIGHT, channel=channel))
    return found


def _instructions(signals: list[Signal]) -> list[Signal]:
    """Signals that show an instruction (not merely an action word or a figure)."""
    weak = {Kind.AGENT_ADDRESS.value, Kind.URGENCY.value, Kind.DEEP_DISCOUNT.value, Kind.MASS_TARGET.value}
    return [s for s in signals if s.name not in weak and s.name != "asks for an action"]


def _score(signals: list[Signal]) -> int:
    best: dict[str, int] = {}
    for signal in signals:
        best[signal.name] = max(best.get(signal.name, 0), signal.weight)
    return sum(best.values())


@lru_cache(maxsize=8192)
def _detect(text: str, tools: frozenset[str]) -> Detection:
    revealed = reveal(text)
    signals: list[Signal] = []
    for view in revealed.views:
        signals += _shapes(fold(view), "text", tools)
    hidden: list[Segment] = list(revealed.hidden)
    for segment in revealed.decoded:
        found = _shapes(fold(segment.text), segment.channel, tools)
        if segment.channel != "rot13" or _score(found) >= DECODED_MIN_SCORE:
            signals += found
            hidden.append(segment)
    for segment in hidden:
        found = _shapes(fold(segment.text), segment.channel, tools)
        signals += found
        if _instructions(found) or _score(found) >= SUSPECT_SCORE:
            signals.append(
                Signal(name=f"instruction hidden in {segment.channel}", weight=HIDDEN_WEIGHT, channel=segment.channel)
            )
    signals += [Signal(name=mark, weight=MARK_WEIGHT, channel="characters") for mark in revealed.marks]
    beacon = BEACON.search(text) or OPEN_PARAMETER.search(text)
    if beacon:
        signals.append(
            Signal(
                name="link built to carry data out", weight=BEACON_WEIGHT, channel="link", evidence=beacon.group(0)[:80]
            )
        )
    asked: set[Capability] = set()
    for view in [*revealed.views, *(s.text for s in hidden)]:
        asked |= asks_about(fold(view))
    for signal in signals:
        if signal.name == "names the agent's tools":
            asked |= {c for c in Capability if any(t.endswith(signal.evidence) for t in TOOLS[c])}
    unique = list({(s.name, s.channel): s for s in signals}.values())
    return Detection(
        score=_score(unique),
        signals=unique,
        asks_about=sorted(asked),
        addresses=addresses(" ".join([*revealed.views, *(s.text for s in hidden)])),
    )


def detect(text: str, *, tool_names: Collection[str] = ()) -> Detection:
    """Score `text` for instructions aimed at an agent; `tool_names` adds the serving tools' names to look for."""
    return _detect(text, frozenset(tool_names))
