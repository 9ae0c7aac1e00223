"""Where an action's argument values come from: traced to the untrusted text in view, whatever its wording.

A value is traceable when untrusted text contains it: an id the action targets, a URL, e-mail address or handle
in its text, a percentage or amount it sets, or a long stretch of its text. Trusted facts decide whether the agent
could also have the value from somewhere else (a known campaign, SKU or segment).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cadencia.tools.injection import addresses
from cadencia.tools.injection.reveal import fold
from cadencia.tools.policy.actions import JsonArgs
from cadencia.tools.policy.checks._args import target_ids, texts_of

NUMBER = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[.,\u00a0 ]\d{3})+(?:[.,]\d{1,2})?(?![\d])|(?<![\w.,])\d+(?:[.,]\d{1,2})?(?!\d)"
)
FIGURE_SUFFIXES = ("_pct", "_minor")
MONEY_CONTEXT = re.compile(
    r"[€$£]|\b(?:eur|euros?|usd|cop|gbp|budget|presupuesto|precio|price|prix|preis|preco|prezzo|бюджет|цен\w*)\b",
    re.IGNORECASE,
)
MONEY_WINDOW = 16
IGNORED_FIGURES = frozenset({"expected_current_minor"})
"""Figures read back from the server for compare-and-set, not chosen by the agent."""
MIN_FIGURE = 10


@dataclass(frozen=True)
class Trace:
    """One argument value found in untrusted text: which argument, the value, and in which text."""

    argument: str
    value: str
    source: str


def _normalized(text: str) -> str:
    return " ".join(fold(text).split())


def copied_stretch(args: JsonArgs, untrusted: Sequence[str], size: int) -> str | None:
    """The first stretch of at least `size` characters an argument copies from untrusted text, or None."""
    windows: set[str] = set()
    for text in untrusted:
        norm = _normalized(text)
        windows |= {norm[i : i + size] for i in range(len(norm) - size + 1)}
    if not windows:
        return None
    for value in args.values():
        for text in texts_of(value):
            norm = _normalized(text)
            for i in range(len(norm) - size + 1):
                if norm[i : i + size] in windows:
                    return norm[i : i + size]
    return None


def named_ids(args: JsonArgs, entities: Sequence[str], untrusted: Sequence[str]) -> Iterator[Trace]:
    """Ids the action targets that untrusted text names."""
    for key, target in [*target_ids(args), *(("entity", e) for e in entities if e)]:
        named = re.compile(rf"(?<![\w-]){re.escape(target)}(?![\w-])", re.IGNORECASE)
        for text in untrusted:
            if named.search(text):
                yield Trace(key, target, text)
                break


def _values(token: str) -> set[Decimal]:
    """Readings of a written number: `1.000` and `1,000` as a thousand, `9,90` and `9.90` as nine ninety."""
    compact = token.replace("\u00a0", "").replace(" ", "")
    readings = {compact.replace(",", "").replace(".", "")}
    for decimal_mark, grouping in ((",", "."), (".", ",")):
        head, _, tail = compact.rpartition(decimal_mark)
        if head and len(tail) <= 2:
            readings.add(head.replace(grouping, "").replace(decimal_mark, "") + "." + tail)
    found = set()
    for reading in readings:
        try:
            found.add(Decimal(reading))
        except InvalidOperation:
            continue
    return found


def _figures(args: JsonArgs) -> Iterator[tuple[str, int]]:
    for key, value in args.items():
        if key in IGNORED_FIGURES or isinstance(value, bool) or not isinstance(value, int):
            continue
        if key.endswith(FIGURE_SUFFIXES):
            yield key, value


def _amounts(text: str) -> tuple[set[Decimal], set[Decimal]]:
    """Whole numbers of three digits or more as written, and numbers written next to a currency or price word."""
    raw: set[Decimal] = set()
    money: set[Decimal] = set()
    for match in NUMBER.finditer(text):
        token = match.group(0)
        if token.isdigit() and len(token) >= 3:
            raw.add(Decimal(token))
        around = text[max(0, match.start() - MONEY_WINDOW) : match.end() + MONEY_WINDOW]
        if MONEY_CONTEXT.search(around):
            money |= _values(token)
    return raw, money


def traced_figures(args: JsonArgs, untrusted: Sequence[str]) -> Iterator[Trace]:
    """Percentages and amounts the action sets that untrusted text states (`N%`; an amount as minor units, or in
    major units next to a currency or price word)."""
    written = [(text, _amounts(text)) for text in untrusted]
    for key, value in _figures(args):
        if abs(value) < MIN_FIGURE and not key.endswith("_pct"):
            continue
        for text, (raw, money) in written:
            if key.endswith("_pct"):
                hit = re.search(rf"(?<![\d.,]){value}\s?%", text) is not None
            else:
                hit = Decimal(value) in raw or Decimal(value) / 100 in money
            if hit:
                yield Trace(key, str(value), text)
                break


CODE = re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{2,}(?:-?[A-Z0-9]+)*(?![\w-])")
"""Code-like tokens (`LYSA60`, `WIN-50`): discount codes and references an instruction may want published."""


def _codes(text: str) -> list[str]:
    return [m.group(0) for m in CODE.finditer(text) if len(m.group(0)) >= 5]


def traced_addresses(args: JsonArgs, untrusted: Sequence[str]) -> Iterator[Trace]:
    """URLs, e-mail addresses, handles and code-like tokens in the action's text that untrusted text carries
    (target ids are judged by `named_ids`)."""
    lowered = [t.lower() for t in untrusted]
    targets = {t for _, t in target_ids(args)}
    for key, value in args.items():
        for text in texts_of(value):
            for found in [*addresses(text), *(c for c in _codes(text) if c not in targets)]:
                needle = found.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
                source = next((t for t in lowered if needle in t), None)
                if source is not None:
                    yield Trace(key, found, source)
