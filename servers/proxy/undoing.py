"""Undo through the proxy: capture the before-image around a call with an undo recipe, and replay its inverse only
while the upstream still shows what the call left (refuse, never overwrite, when it changed since)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field, JsonValue
from sqlalchemy.exc import SQLAlchemyError

from cadencia.servers.proxy.journal import UndoEntry, UndoJournal, UndoState, UpstreamCall
from cadencia.servers.proxy.jsonpaths import PathMissing, read_path, resolve
from cadencia.servers.proxy.overlay import UndoRecipe
from cadencia.servers.proxy.upstream import Upstream, UpstreamError, result_json, text_of
from cadencia.tools.errors import CadenciaError, Conflict, InvalidArgument, NotFound, PermissionDenied
from cadencia.tools.store.canonical import canonical_json

log = logging.getLogger("cadencia.servers.proxy")
TOKEN_PREFIX = "pundo-"
UNDO_TOOL = "undo"


class UpstreamRefused(CadenciaError):
    """The upstream answered the forwarded call with an error result: it goes back to the caller as it is."""

    code = "upstream_refused"

    def __init__(self, result: CallToolResult, text: str) -> None:
        super().__init__(text)
        self.result = result


@dataclass(frozen=True)
class Forwarded:
    """A forwarded call's result and the undo token the proxy journaled for it (None: no recipe, or none could be
    recorded). The safety layer audits `undo_token` in the record's field, as it does a native tool's result field;
    the token comes from the journal, never from what the upstream answered."""

    result: CallToolResult
    undo_token: str | None = None


class UndoResult(BaseModel):
    undo_token: str
    tool: str = Field(description="The upstream tool whose call was undone.")
    restored: bool = Field(description="The read-back equals the before-image.")
    before: dict[str, JsonValue] = Field(description="The before-image (captured paths).")
    now: dict[str, JsonValue] = Field(description="What the upstream shows after the undo.")


def image(result: JsonValue, capture: list[str]) -> dict[str, JsonValue]:
    """The captured paths of a read's result; a path the read lacks is recorded as missing (null)."""
    found: dict[str, JsonValue] = {}
    for path in capture:
        try:
            found[path] = read_path(result, path)
        except PathMissing:
            found[path] = None
    return found


async def call_with_undo(
    upstream: Upstream,
    journal: UndoJournal,
    recipe: UndoRecipe,
    *,
    name: str,
    args: dict[str, JsonValue],
    subject: str,
) -> Forwarded:
    """Read the before-image, run the call, read what it left, record the inverse; the result carries the token."""
    try:
        read_args = resolve(recipe.read.args, {"args": args})
    except PathMissing as exc:
        raise InvalidArgument(f"{exc}: the undo recipe's read needs it; nothing changed", field="arguments") from None
    assert isinstance(read_args, dict)
    read = UpstreamCall(recipe.read.tool, read_args)
    before_full = await upstream.read(read.tool, read.args)
    result = await upstream.call(name, args)
    if result.is_error:
        raise UpstreamRefused(result, upstream.scrub(text_of(result)))
    after_full = await upstream.read(read.tool, read.args)
    try:
        inverse_args = resolve(
            recipe.inverse.args, {"args": args, "before": before_full, "result": result_json(result)}
        )
    except PathMissing as exc:
        return Forwarded(_with_note(result, f"no undo token: the inverse call cannot be built ({exc})"))
    assert isinstance(inverse_args, dict)
    token = TOKEN_PREFIX + secrets.token_hex(12)
    entry = UndoEntry(
        token=token,
        subject=subject,
        tool=name,
        read=read,
        inverse=UpstreamCall(recipe.inverse.tool, inverse_args),
        capture=list(recipe.capture),
        before=image(before_full, recipe.capture),
        after=image(after_full, recipe.capture),
    )
    try:
        journal.record(entry)
    except SQLAlchemyError:  # the call ran: report it as run, without a token nobody could redeem
        log.exception("could not journal the undo of %s", name)
        return Forwarded(_with_note(result, "no undo token: the undo journal could not be written"))
    return Forwarded(_with_token(result, token), undo_token=token)


def _with_token(result: CallToolResult, token: str) -> CallToolResult:
    structured = result.structured_content
    if isinstance(structured, dict):
        structured = {**structured, "undo_token": token}
    content = [*result.content, TextContent(type="text", text=canonical_json({"undo_token": token}))]
    return result.model_copy(update={"structured_content": structured, "content": content})


def _with_note(result: CallToolResult, note: str) -> CallToolResult:
    return result.model_copy(update={"content": [*result.content, TextContent(type="text", text=note)]})


def undo_entry(journal: UndoJournal, token: str, subject: str) -> UndoEntry:
    """The open entry under `token` for this caller, or an error saying why it cannot be undone."""
    entry = journal.get(token)
    if entry is None:
        raise NotFound(
            f"no undo token {token!r}; tokens come back from calls whose tool has an undo recipe", field="undo_token"
        )
    if entry.subject != subject:
        raise PermissionDenied(f"{token} belongs to another caller", field="undo_token", rule="undo_owner")
    if entry.state is not UndoState.OPEN:
        raise Conflict(f"{token} is {entry.state.value}; nothing changed", field="undo_token", rule="undo_once")
    return entry


async def replay_inverse(upstream: Upstream, journal: UndoJournal, entry: UndoEntry) -> UndoResult:
    """Stale check (the upstream must still show what the call left), claim the token, run the inverse, read back."""
    now = image(await upstream.read(entry.read.tool, entry.read.args), entry.capture)
    changed = {p: (entry.after.get(p), v) for p, v in now.items() if v != entry.after.get(p)}
    if changed:
        what = "; ".join(
            f"{p} was {canonical_json(a)} after the call, is {canonical_json(b)} now" for p, (a, b) in changed.items()
        )
        raise Conflict(
            f"{entry.tool} cannot be undone: the upstream changed since ({what}); nothing was written, the token "
            "stays open",
            field="undo_token",
            rule="stale_undo",
        )
    if not journal.move(entry.token, from_state=UndoState.OPEN, to_state=UndoState.UNDOING):
        raise Conflict(f"{entry.token} is being undone by another call", field="undo_token", rule="undo_once")
    try:
        result = await upstream.call(entry.inverse.tool, entry.inverse.args)
        if result.is_error:
            raise UpstreamError(upstream.scrub(f"the inverse call {entry.inverse.tool} failed: {text_of(result)}"))
    except CadenciaError as exc:
        journal.move(entry.token, from_state=UndoState.UNDOING, to_state=UndoState.FAILED, note=str(exc)[:500])
        raise
    back = image(await upstream.read(entry.read.tool, entry.read.args), entry.capture)
    restored = back == entry.before
    note = "" if restored else "read-back differs from the before-image"
    journal.move(entry.token, from_state=UndoState.UNDOING, to_state=UndoState.UNDONE, note=note)
    return UndoResult(undo_token=entry.token, tool=entry.tool, restored=restored, before=entry.before, now=back)
