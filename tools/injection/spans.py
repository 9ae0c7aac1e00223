"""Where in a long text the suspicious stretches are, so an excerpt can keep them (positions in the original)."""

from __future__ import annotations

import re
import unicodedata

from cadencia.tools.injection.intent import URL
from cadencia.tools.injection.lexicon import SHAPES
from cadencia.tools.injection.reveal import BASE64, BIDI, HTML_COMMENT, INVISIBLE, TAGS

HIDING = re.compile(r"<[^<>]{0,200}style\s*=[^<>]*>|\[(?://|comment|_)\]:")


def _same_length_fold(text: str) -> str:
    """Lower case without accents, one character per character, so match positions stay valid."""
    out = []
    for c in text:
        lower = c.lower()
        base = unicodedata.normalize("NFKD", lower)[:1] if len(lower) == 1 else c
        out.append(base or c)
    return "".join(out)


def hotspots(text: str) -> list[tuple[int, int]]:
    """Spans of instruction wording, links, encoded blobs, markup that hides text and invisible characters."""
    folded = _same_length_fold(text)
    spans = [m.span() for shape in SHAPES for m in shape.pattern.finditer(folded)]
    spans += [m.span() for pattern in (URL, BASE64, HTML_COMMENT, HIDING) for m in pattern.finditer(text)]
    spans += [(i, i + 1) for i, c in enumerate(text) if c in INVISIBLE or c in BIDI or ord(c) in TAGS]
    return sorted(spans)
