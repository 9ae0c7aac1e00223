"""Un-hide text before judging it: what a model reads is not what a person sees.

`reveal` returns every reading of a text worth scanning: the plain text (markup stripped, invisible characters
removed, compatibility forms folded), foldings that undo look-alike letters, leetspeak and letter spacing, and the
segments a renderer hides (HTML comments, CSS-hidden elements, markdown comments, Unicode tag characters,
right-to-left overrides) or an encoding hides (base64, rot13, percent-encoding), each named by its channel.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote

INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064"
    "\u3164\ufeff\uffa0"
)
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
TAGS = range(0xE0000, 0xE0080)
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})

HTML_COMMENT = re.compile(r"<!--(.*?)(?:-->|$)", re.DOTALL)
HIDDEN_ELEMENT = re.compile(
    r"<(\w+)[^>]*style\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|"
    r"opacity\s*:\s*0(?:\.0+)?\s*(?:;|[\"'])|color\s*:\s*(?:#fff\b|#ffffff|white|transparent))[^>]*>(.*?)</\1\s*>",
    re.DOTALL | re.IGNORECASE,
)
HIDDEN_ATTRIBUTE = re.compile(r"<(\w+)[^>]*\bhidden\b[^>]*>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
MARKDOWN_COMMENT = re.compile(r"^\s*\[(?://|comment|_)\]:\s*(?:#|<>)\s*[(\"'](.*?)[)\"']\s*$", re.MULTILINE)
TAG = re.compile(r"<[^<>]{1,200}>")
BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){4,}")
SPACED_RUN = re.compile(r"(?:\S[ \u00a0]{1,3}){6,}\S")
SEPARATED_WORDS = re.compile(r"(?<=[^\W\d_])[._\-*/|](?=[^\W\d_])")


@dataclass(frozen=True)
class Segment:
    """A part of the text a renderer or an encoding hides, and the channel that hides it."""

    channel: str
    text: str


@dataclass
class Revealed:
    """The readings of one text: `views` of the whole text, `hidden` segments, and obfuscation marks seen."""

    views: list[str] = field(default_factory=list)
    hidden: list[Segment] = field(default_factory=list)
    decoded: list[Segment] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    """Case-folded, accents stripped, compatibility forms (full-width, math letters) folded, spaces collapsed."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


@cache
def _latin_lookalikes() -> dict[str, str]:
    """Non-ASCII characters that Unicode lists as confusable with an ASCII letter or digit (TR39 data)."""
    # Lazy: the package parses its ~1 MB confusables table on import; only a detection needs it.
    from confusable_homoglyphs import confusables

    table: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in homoglyphs:
            ascii_char = glyph["c"]
            if len(ascii_char) == 1 and ascii_char.isascii() and ascii_char.isalnum():
                table[char] = ascii_char
                break
    return table


def unconfuse(text: str) -> str:
    """Every look-alike of an ASCII letter replaced by that letter (`Іgnоrе` → `Ignore`)."""
    table = _latin_lookalikes()
    return "".join(table.get(c, c) for c in text)


def mixed_script_words(text: str) -> list[str]:
    """Words mixing Latin letters with letters of another script: the usual sign of homoglyph substitution."""
    found = []
    for word in re.findall(r"[^\W\d_]{2,}", text):
        scripts = {unicodedata.name(c, "X").split(" ")[0] for c in word if c.isalpha()}
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"}:
            found.append(word)
    return found


def _without_invisibles(text: str, marks: list[str]) -> str:
    inside = re.search(rf"[^\W\d_][{''.join(INVISIBLE)}]+[^\W\d_]", text)
    if inside:
        marks.append("invisible characters inside words")
    if any(c in BIDI for c in text):
        marks.append("bidirectional control characters")
    return "".join(c for c in text if c not in INVISIBLE and c not in BIDI and ord(c) not in TAGS)


def _invisibles_as_spaces(text: str) -> str:
    return "".join(" " if c in INVISIBLE or c in BIDI else c for c in text if ord(c) not in TAGS)


def _tag_payload(text: str) -> str:
    return "".join(chr(ord(c) - 0xE0000) for c in text if ord(c) in TAGS and 0x20 <= ord(c) - 0xE0000 < 0x7F)


def _right_to_left_overrides(text: str) -> list[str]:
    return [m.group(1)[::-1] for m in re.finditer("\u202e([^\u202c\u2069]*)", text)]


def _printable(data: bytes) -> str | None:
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = sum(c.isalpha() or c.isspace() for c in decoded)
    return decoded if decoded and letters / len(decoded) > 0.75 and " " in decoded.strip() else None


def _base64_payloads(text: str) -> list[str]:
    found = []
    for match in BASE64.finditer(text):
        blob = match.group(0)
        padded = blob + "=" * (-len(blob) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = _printable(decode(padded))
            except (binascii.Error, ValueError):
                continue
            if decoded:
                found.append(decoded)
                break
    return found


def _strip_markup(text: str) -> str:
    text = HTML_COMMENT.sub(lambda m: f" {m.group(1)} ", text)
    text = re.sub(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)", r"\1 \2", text)
    return TAG.sub(" ", text)


def _unspaced(text: str) -> str:
    """`i g n o r e   a l l` → `ignore all`: single spaces inside letter-spaced runs dropped, wider gaps kept."""

    def join(run: str) -> str:
        return " ".join(word.replace(" ", "").replace("\u00a0", "") for word in re.split(r"[ \u00a0]{2,}", run))

    return " ".join(SPACED_RUN.sub(lambda m: join(m.group(0)), text).split())


def _leet(text: str) -> str:
    return re.sub(
        r"\S+", lambda m: m.group(0).translate(LEET) if re.search(r"[^\W\d_]", m.group(0)) else m.group(0), text
    )


def reveal(text: str) -> Revealed:
    """Every reading of `text` a detector should scan, with the hidden and encoded segments by channel."""
    out = Revealed()
    tags = _tag_payload(text)
    if tags:
        out.hidden.append(Segment("unicode tag characters", tags))
        out.marks.append("unicode tag characters")
    out.hidden += [Segment("right-to-left override", s) for s in _right_to_left_overrides(text) if s.strip()]
    clean = unicodedata.normalize("NFKC", _without_invisibles(text, out.marks))
    out.hidden += [Segment("HTML comment", m.group(1)) for m in HTML_COMMENT.finditer(clean) if m.group(1).strip()]
    for pattern, channel in ((HIDDEN_ELEMENT, "CSS-hidden element"), (HIDDEN_ATTRIBUTE, "hidden element")):
        out.hidden += [Segment(channel, TAG.sub(" ", m.group(2))) for m in pattern.finditer(clean)]
    out.hidden += [Segment("markdown comment", m.group(1)) for m in MARKDOWN_COMMENT.finditer(clean)]
    spaced = unicodedata.normalize("NFKC", _invisibles_as_spaces(text))
    plain = _strip_markup(clean)
    if mixed_script_words(plain):
        out.marks.append("words mixing Latin with look-alike letters")
    look_alikes = unconfuse(plain)
    out.views = list(dict.fromkeys([clean, plain, look_alikes, _leet(look_alikes), _unspaced(plain), spaced]))
    out.views.append(SEPARATED_WORDS.sub(" ", look_alikes))
    out.decoded += [Segment("base64", s) for s in _base64_payloads(clean)]
    out.decoded += [Segment("percent-encoding", unquote(m.group(0))) for m in PERCENT.finditer(clean)]
    out.decoded.append(Segment("rot13", codecs.encode(plain, "rot13")))
    return out
