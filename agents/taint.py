"""Taint: the third-party text a run has seen, kept in checkpointed state so every guard decision can read it.

Each tool result is searched at the paths its server declared untrusted (`cadencia/untrusted` in `_meta`); a tool
that declares nothing has every string treated as untrusted. Texts are grouped per entity (a review, a contact),
deduplicated by hash and kept as bounded excerpts that always include the stretches the injection check looks for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from cadencia.tools.injection import detect
from cadencia.tools.injection.spans import hotspots
from cadencia.tools.untrusted import texts_at

MAX_CHARS = 4000
"""Texts up to this length are kept whole; longer ones become an excerpt of about this length."""
MAX_EXCERPT_CHARS = 4 * MAX_CHARS
HEAD_CHARS = 1000
CONTEXT_CHARS = 300
MAX_ENTRIES = 256
"""Entries kept in view; beyond it, benign-looking texts are dropped first."""


class UntrustedText(BaseModel):
    """One piece of third-party text seen by the run, as the guardrails need it."""

    model_config = ConfigDict(frozen=True)

    digest: str = Field(description="SHA-256 of the whole text (whitespace-normalised): the dedup key.")
    tool: str = Field(description="The tool whose result carried it first.")
    entity: str | None = Field(None, description="Id of the object it belongs to (review, contact), if any.")
    text: str = Field(description="The text, or an excerpt keeping its start and every suspicious stretch.")
    truncated: bool = False
    first_cycle: int = 0
    last_cycle: int = 0


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _suspicious_spans(text: str) -> list[tuple[int, int]]:
    return sorted((max(0, a - CONTEXT_CHARS), min(len(text), b + CONTEXT_CHARS)) for a, b in hotspots(text))


def excerpt(text: str) -> tuple[str, bool]:
    """The whole text when short; else its start plus every stretch the detector would look at (`hotspots`)."""
    if len(text) <= MAX_CHARS:
        return text, False
    merged: list[tuple[int, int]] = [(0, HEAD_CHARS)]
    for start, end in _suspicious_spans(text):
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return " … ".join(text[a:b] for a, b in merged)[:MAX_EXCERPT_CHARS], True


def untrusted_texts(
    tool: str, payload: JsonValue, paths: Sequence[str] | None, *, cycle: int = 0
) -> list[UntrustedText]:
    """Third-party text in one tool result: at the declared `paths`, or everywhere when none were declared."""
    groups: dict[str, list[str]] = {}
    entities: dict[str, str | None] = {}
    for path in [""] if paths is None else paths:
        for found in texts_at(payload, path):
            key = f"entity:{found.entity}" if found.entity else f"path:{found.path}"
            groups.setdefault(key, []).append(found.text)
            entities[key] = found.entity
    entries = []
    for key, texts in groups.items():
        whole = _normalize("\n".join(texts))
        if not whole:
            continue
        text, truncated = excerpt(whole)
        entries.append(
            UntrustedText(
                digest=hashlib.sha256(whole.encode()).hexdigest(),
                tool=tool,
                entity=entities[key],
                text=text,
                truncated=truncated,
                first_cycle=cycle,
                last_cycle=cycle,
            )
        )
    return entries


def _looks_benign(entry: UntrustedText) -> bool:
    return not detect(entry.text).suspicious


def merge_untrusted(left: Sequence[UntrustedText], right: Sequence[UntrustedText]) -> list[UntrustedText]:
    """State reducer: the text in view, i.e. sighted in the newest cycle, one entry per digest, at most
    `MAX_ENTRIES` (benign-looking texts go first). Older sightings are in no planner's view, so not kept."""
    merged: dict[str, UntrustedText] = {entry.digest: entry for entry in left}
    for entry in right:
        seen = merged.get(entry.digest)
        if seen is None:
            merged[entry.digest] = entry
        elif entry.last_cycle > seen.last_cycle:
            merged[entry.digest] = seen.model_copy(update={"last_cycle": entry.last_cycle})
    newest = max((e.last_cycle for e in merged.values()), default=0)
    entries = [e for e in merged.values() if e.last_cycle == newest]
    if len(entries) <= MAX_ENTRIES:
        return entries
    ranked = sorted(entries, key=lambda e: not _looks_benign(e))
    keep = {e.digest for e in ranked[len(entries) - MAX_ENTRIES :]}
    return [e for e in entries if e.digest in keep]


def entries_in_view(entries: Sequence[UntrustedText], *, cycle: int | None = None) -> list[UntrustedText]:
    """Entries the planner can currently see: those seen in `cycle` (or all of them when no cycle is given)."""
    return [e for e in entries if cycle is None or e.last_cycle >= cycle]


def in_view(entries: Sequence[UntrustedText], *, cycle: int | None = None) -> list[str]:
    """Texts the planner can currently see, as the guard reads them."""
    return [e.text for e in entries_in_view(entries, cycle=cycle)]


Untrusted = Annotated[list[UntrustedText], merge_untrusted]
"""A state field holding the run's taint."""


class TaintCollector:
    """Gathers the untrusted text of the tool results one node run reads; the node returns it as a state update."""

    def __init__(self, *, cycle: int = 0) -> None:
        self.cycle = cycle
        self._entries: list[UntrustedText] = []

    def record(self, tool: str, payload: JsonValue, paths: Sequence[str] | None) -> None:
        self._entries += untrusted_texts(tool, payload, paths, cycle=self.cycle)

    @property
    def entries(self) -> list[UntrustedText]:
        return merge_untrusted([], self._entries)
