"""prompt_injection: taint first. An action whose arguments or intent derive from untrusted text in view needs a
person or is refused, whatever that text says; the detector (`cadencia.tools.injection`) only grades how sure.

- Provenance: an id the action targets, a URL/e-mail/handle in its text, a percentage or amount it sets, or a long
  stretch of its text found in untrusted text (ids unknown to trusted facts and addresses are refused; known ids on
  actions that cannot simply be undone, and figures, go to a person unless the text is flagged).
- Intent: while text the detector flags is in view, actions that cannot simply be undone in a capability the text
  asks about are refused (suspicious text, or a one-target capability like review replies: they need a person).
  Reversible actions stay usable.
- The action's own text and rationale carrying an injection, an unknown link or an encoded blob is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from cadencia.tools.injection import Capability, Detection, capabilities_of, detect
from cadencia.tools.injection.intent import TOOLS, URL
from cadencia.tools.names import Crm
from cadencia.tools.policy.actions import ProposedAction, Verdict
from cadencia.tools.policy.checks._args import texts_of
from cadencia.tools.policy.checks.provenance import (
    copied_stretch,
    named_ids,
    traced_addresses,
    traced_figures,
)
from cadencia.tools.policy.context import CheckContext, CheckParams, Regexes
from cadencia.tools.policy.facts import Facts
from cadencia.tools.policy.goal import Channel
from cadencia.tools.policy.registry import check
from cadencia.tools.reversibility import Reversibility

DEFERRED_IRREVERSIBLE = frozenset({Crm.SCHEDULE_SEND})
ONE_TARGET = frozenset({Capability.REVIEWS})
"""Capabilities whose actions target one named object (a reply to one review): while injected text asks about
them they go to a person instead of being refused, since their text is already traced argument by argument."""
"""Reversible now, irreversible once the day comes: treated as irreversible by the intent rule."""
OWN_TEXT_SCORE = 3
"""The action's own text (arguments, rationale) is held to a stricter bar than third-party text: it is ours."""
BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}")


class InjectionParams(CheckParams):
    allowed_domains: list[str] = Field(default_factory=list, description="URL hosts (and subdomains) allowed.")
    min_copy_chars: int = Field(20, ge=8, le=500, description="Copied untrusted text at least this long is taint.")
    extra_markers: Regexes = Field(default_factory=list, description="More regexes of injection wording.")


INTENT_TOOLS = frozenset(tool for tools in TOOLS.values() for tool in tools)


@check("prompt_injection", params=InjectionParams, guards=INTENT_TOOLS)
async def prompt_injection(action: ProposedAction, ctx: CheckContext[InjectionParams]) -> Verdict | None:
    """No argument or intent of the action derives from untrusted text in view; its own text carries no injection."""
    markers = [re.compile(p, re.IGNORECASE) for p in ctx.params.extra_markers]
    for where, text in _scanned(action):
        found = _suspicious(text, markers, ctx.params.allowed_domains)
        if found:
            return ctx.violation(f"{where} {found}")
    untrusted = ctx.untrusted_texts
    if not untrusted:
        return None
    readings = {text: _reading(text, markers) for text in untrusted}
    flagged = tuple(t for t, d in readings.items() if d.flagged)
    for trace in traced_addresses(action.args, untrusted):
        return ctx.violation(f"argument {trace.argument!r} carries {trace.value!r}, which only untrusted text gives")
    copied = copied_stretch(action.args, untrusted, ctx.params.min_copy_chars)
    if copied:
        return ctx.violation(f"arguments copy untrusted tool data: {copied!r}")
    undoable = ctx.reversibility is Reversibility.REVERSIBLE and action.tool not in DEFERRED_IRREVERSIBLE
    for trace in named_ids(action.args, action.entities, untrusted):
        if not await _known(trace.argument, trace.value, ctx.facts):
            return ctx.violation(f"{trace.argument} {trace.value!r} is named only by untrusted text in tool data")
        if trace.argument == "entity":
            continue
        if trace.source in flagged and not undoable:
            return ctx.violation(f"{trace.argument} {trace.value!r} is the target an injected instruction names")
        if not undoable:
            return ctx.require_approval(f"{trace.argument} {trace.value!r} is also named by untrusted text in view")
    for trace in traced_figures(action.args, untrusted):
        if trace.source in flagged:
            return ctx.violation(f"{trace.argument} {trace.value} is the figure an injected instruction asks for")
        return ctx.require_approval(f"{trace.argument} {trace.value} is a figure untrusted text in view states")
    if undoable:
        return None
    acts_in = capabilities_of(action.tool)
    for reading in sorted(readings.values(), key=lambda r: -r.score):
        asked = acts_in & set(reading.asks_about)
        if not asked or not reading.suspicious:
            continue
        what = min(asked).value
        if reading.flagged and asked - ONE_TARGET:
            return ctx.violation(
                f"an injected instruction in tool data asks about {what}; {action.tool} is refused while it is in view "
                f"(flag the review or note, then act on trusted figures only): {reading.reason()}"
            )
        return ctx.require_approval(f"untrusted text in view may be asking about {what}: {reading.reason()}")
    return None


def _reading(text: str, markers: list[re.Pattern[str]]) -> Detection:
    reading = detect(text)
    if any(m.search(text) for m in markers) and not reading.flagged:
        return reading.model_copy(update={"score": max(reading.score, 4)})
    return reading


def _scanned(action: ProposedAction) -> Iterator[tuple[str, str]]:
    for key, value in action.args.items():
        for text in texts_of(value):
            yield f"argument {key!r}", text
    yield "rationale", action.rationale
    yield "expected effect", action.expected_effect


def _suspicious(text: str, markers: list[re.Pattern[str]], allowed_domains: list[str]) -> str | None:
    for marker in markers:
        match = marker.search(text)
        if match:
            return f"contains an injected instruction: {match.group(0)!r}"
    reading = detect(text)
    if reading.score >= OWN_TEXT_SCORE:
        return f"contains an injected instruction: {reading.reason()}"
    for match in URL.finditer(text):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", match.group(0).lower()).split("/")[0].split("?")[0].rstrip(".")
        if not any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains):
            return f"links to an unknown domain {host!r}"
    for match in BASE64.finditer(text):
        blob = match.group(0)
        if any(c.isdigit() for c in blob) and any(c.isupper() for c in blob) and any(c.islower() for c in blob):
            return f"carries an encoded blob {blob[:16]!r}…"
    return None


async def _known(key: str, target: str, facts: Facts) -> bool:
    """Whether trusted facts know the id, i.e. the agent can have it from somewhere other than untrusted text."""
    if key == "campaign_id":
        return await facts.campaign(target) is not None
    if key == "sku":
        return await facts.product(target) is not None or await facts.stock_cover_days(target) is not None
    if key == "message_id":
        return await facts.message(target) is not None
    if key == "segment_id":
        for channel in Channel:
            if await facts.segment_reach(target, channel.value) is not None:
                return True
    if key == "entity":
        for other in ("campaign_id", "sku", "message_id", "segment_id"):
            if await _known(other, target, facts):
                return True
    return False
