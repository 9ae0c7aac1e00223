"""Untrusted text shown to a model: each piece inside a fence that the text itself cannot close.

The fence is stable (`<untrusted id="U1" from="…">` … `</untrusted>`); the text inside is NFKC-folded, stripped of
invisible, bidi and tag characters, and has every `<`, `>` and `&` (and their look-alikes) escaped, so no sequence
in it can read as a closing tag. Fields an observation marks untrusted are replaced by `[U1]`-style references in
the trusted JSON and shown fenced below it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, JsonValue

from cadencia.tools.injection.reveal import BIDI, INVISIBLE, TAGS
from cadencia.tools.untrusted import EACH, untrusted_paths

LOOKALIKE_BRACKETS = str.maketrans(
    {c: "<" for c in "‹〈⟨˂ᐸ＜﹤❮❬⧼"} | {c: ">" for c in "›〉⟩˃ᐳ＞﹥❯❭⧽"} | {"＆": "&", "﹠": "&"}
)
CLOSE = "</untrusted>"


@dataclass(frozen=True)
class Fenced:
    """One fenced piece: its reference id, where it came from, and the escaped text."""

    id: str
    origin: str
    text: str

    def render(self) -> str:
        return f'<untrusted id="{self.id}" from="{self.origin}">{self.text}{CLOSE}'


def escape(text: str) -> str:
    """Text that cannot open or close a fence: no markup characters, no invisible or direction-changing ones."""
    text = "".join(c for c in text if c not in INVISIBLE and c not in BIDI and ord(c) not in TAGS)
    text = unicodedata.normalize("NFKC", text).translate(LOOKALIKE_BRACKETS)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Fence:
    """Numbers the untrusted pieces of one prompt (`U1`, `U2`, …) and renders them."""

    def __init__(self, *, max_chars: int | None = None) -> None:
        self.pieces: list[Fenced] = []
        self._by_text: dict[str, str] = {}
        self.max_chars = max_chars

    def add(self, text: str, origin: str) -> str:
        """The reference for `text` (one per distinct text), shown cut to `max_chars` characters when set."""
        if text in self._by_text:
            return self._by_text[text]
        ref = f"U{len(self.pieces) + 1}"
        shown = text if self.max_chars is None or len(text) <= self.max_chars else text[: self.max_chars] + " […]"
        self.pieces.append(Fenced(ref, escape(origin), escape(shown)))
        self._by_text[text] = ref
        return ref

    def has(self, text: str) -> bool:
        return text in self._by_text

    def render(self) -> str:
        return "\n".join(piece.render() for piece in self.pieces) or "(none)"


def _replace(value: JsonValue, steps: Sequence[str], where: str, fence: Fence) -> JsonValue:
    if not steps:
        if isinstance(value, str) and value:
            return f"[{fence.add(value, where)}]"
        return value
    step, rest = steps[0], steps[1:]
    if step == EACH and isinstance(value, list):
        return [_replace(item, rest, f"{where}[{i}]", fence) for i, item in enumerate(value)]
    if isinstance(value, dict) and step in value:
        return {**value, step: _replace(value[step], rest, f"{where}.{step}" if where else step, fence)}
    return value


def _steps(path: str) -> list[str]:
    steps: list[str] = []
    for part in path.split("."):
        name = part.removesuffix(EACH)
        steps.append(name)
        if name != part:
            steps.append(EACH)
    return steps


def fenced_dump(model: BaseModel, fence: Fence, *, exclude: set[str] | None = None) -> JsonValue:
    """`model` as JSON with every field its schema marks untrusted replaced by a fence reference."""
    data: JsonValue = model.model_dump(mode="json", exclude=exclude)
    for path in untrusted_paths(type(model).model_json_schema()):
        data = _replace(data, _steps(path), "", fence)
    return data
