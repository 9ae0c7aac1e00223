"""approved_claims: customer-facing text makes only approved claims, never a no-go or unapproved one."""

from __future__ import annotations

import re

from pydantic import Field

from cadencia.tools.names import Crm
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import OUTBOUND_TOOLS, customer_texts, str_arg, str_list_arg
from cadencia.tools.policy.context import CheckContext, CheckParams, Regexes, Unknown
from cadencia.tools.policy.facts import ClaimFacts
from cadencia.tools.policy.registry import check

CLAIM_MARKERS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bclinically\b",
        r"\bscientifically\b",
        r"\bproven\b",
        r"\bcur(?:e|es|ed|ing)\b",
        r"\bheals?\b",
        r"\bguarantee[ds]?\b",
        r"\bbest in the world\b",
        r"\bworld'?\s?s best\b",
        r"\b100\s?%",
        r"#\s?1\b",
        r"\bnumber one\b",
        r"\bmiracle\b",
        r"\bno side effects\b",
        r"\bpermanent(?:ly)?\b",
        r"\bdermatologists?\b",
        r"\b(?:approved|recommended|tested) by\b",
        r"\d+(?:[.,]\d+)?\s?%[^.!?\n]*\bresults?\b",
        r"\bresults?\b[^.!?\n]*\d+(?:[.,]\d+)?\s?%",
    )
)
"""Wording that asserts a claim: it must match an approved claim or go to a person."""

_STOPWORDS = frozenset({"the", "and", "for", "with", "your", "you", "our", "are", "that", "this", "from", "all"})


class ClaimsParams(CheckParams):
    no_go_claims: list[str] = Field(default_factory=list, description="Added to the goal's no_go_claims.")
    claim_patterns: Regexes = Field(default_factory=list, description="Extra regexes that mark claim-like text.")
    min_overlap: float = Field(0.6, gt=0, le=1, description="Share of a claim's words a sentence must repeat.")
    when_unknown: Unknown = "require_approval"


@check("approved_claims", params=ClaimsParams, guards=OUTBOUND_TOOLS)
async def approved_claims(action: ProposedAction, ctx: CheckContext[ClaimsParams]) -> Verdict | None:
    """Cited claims are approved, no no-go or unapproved claim appears, and claim-like wording is an approved claim."""
    content = await _content(action, ctx)
    if content is None or isinstance(content, Verdict):
        return content
    texts, cited = content
    for phrase in [*ctx.goal.constraints.no_go_claims, *ctx.params.no_go_claims]:
        if any(_contains(text, phrase) for text in texts):
            return ctx.violation(f"text uses the no-go claim {phrase!r}")
    library = await ctx.facts.claims()
    if library is None:
        return ctx.unknown("the claims library is not in the facts", ctx.params.when_unknown)
    approved = [c for c in library if c.approved]
    approved_ids = {c.id for c in approved}
    bad_ids = sorted(set(cited) - approved_ids)
    if bad_ids:
        return ctx.violation(f"claim ids {', '.join(bad_ids)} are not approved claims")
    for claim in library:
        if not claim.approved and any(_contains(text, claim.text) for text in texts):
            return ctx.violation(f"text makes the unapproved claim {claim.id} ({claim.text!r})")
    markers = [*CLAIM_MARKERS, *(re.compile(p, re.IGNORECASE) for p in ctx.params.claim_patterns)]
    for text in texts:
        for sentence in _sentences(text):
            if _new_claim(sentence, approved, markers, ctx.params.min_overlap):
                return ctx.require_approval(f"new claim, matches no approved claim: {sentence.strip()!r}")
    return None


async def _content(
    action: ProposedAction, ctx: CheckContext[ClaimsParams]
) -> tuple[list[str], list[str]] | Verdict | None:
    """Customer-facing texts and cited claim ids: from the arguments, or from the stored message for sends."""
    if action.tool in (Crm.SEND_NOW, Crm.SCHEDULE_SEND):
        message_id = str_arg(action.args, "message_id")
        message = None if message_id is None else await ctx.facts.message(message_id)
        if message is None:
            return ctx.unknown(f"message {message_id!r} is not in the facts", ctx.params.when_unknown)
        return [message.subject, message.body], message.claim_ids
    texts = [text for _, text in customer_texts(action.tool, action.args)]
    if not texts:
        return None
    cited = str_list_arg(action.args, "claim_ids")
    if cited is None and "claim_ids" in action.args:
        return ctx.deny("malformed: claim_ids must be a list of claim ids")
    return texts, cited or []


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w%#]+", " ", text.lower()).split())


def _contains(text: str, phrase: str) -> bool:
    needle = _normalize(phrase)
    return bool(needle) and f" {needle} " in f" {_normalize(text)} "


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _words(text: str) -> set[str]:
    return {w for w in _normalize(text).split() if len(w) >= 3 and w not in _STOPWORDS}


def _new_claim(sentence: str, approved: list[ClaimFacts], markers: list[re.Pattern[str]], min_overlap: float) -> bool:
    """True when claim-like wording is left once the approved claims the sentence restates are taken out."""
    if not any(m.search(_normalize(sentence)) for m in markers):
        return False
    tokens = _normalize(sentence).split()
    words = set(tokens)
    for claim in approved:
        claim_words = _words(claim.text)
        restated = _contains(sentence, claim.text) or (
            bool(claim_words) and len(words & claim_words) / len(claim_words) >= min_overlap
        )
        if restated:
            spoken = set(_normalize(claim.text).split())
            tokens = [t for t in tokens if t not in spoken]
    residue = " ".join(tokens)
    return any(m.search(residue) for m in markers)
