"""The overlay: what an upstream MCP server's tools do, in the terms Cadencia's server policy reads.

Per tool (glob patterns allowed; the first entry that matches wins): its reversibility class, the Cadencia tool it
acts as (same arguments), or the argument paths of the money it moves, the price it sets, the contacts it reaches and
the text it publishes; and an undo recipe (the read that captures the before-image, the inverse call). Under `facts`,
the upstream reads that answer the policy's lookups (a campaign's current budget, a product's cost). A tool no entry
names is irreversible and needs a person's approval. JSON Schema: `overlays/overlay.schema.json`.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from cadencia.servers.proxy.jsonpaths import refs_in
from cadencia.servers.proxy.units import Unit
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.yamlmodel import load_yaml_model

PROXY_PREFIX = "up_"
GLOB_CHARS = frozenset("*?[")


class OverlayError(ValueError):
    """An overlay that does not validate, or does not fit the upstream it is used with."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Path_ = str
"""A dotted path into a JSON value: `budget.amount_micros`, `line_items.0.price`, `variants.*.price` (every item)."""


class Amount(_Strict):
    """An amount in the arguments, with its unit and currency (fixed, or read from another argument)."""

    path: Path_ = Field(description="Argument path of the amount.")
    unit: Unit = Field(description="minor (cents), micros (millionths) or major (decimal units, e.g. '19.99').")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO-4217 code when it is fixed.")
    currency_path: Path_ | None = Field(None, description="Argument path of the currency code instead.")

    @model_validator(mode="after")
    def _one_currency(self) -> Amount:
        if (self.currency is None) == (self.currency_path is None):
            raise ValueError("give exactly one of currency and currency_path")
        return self


class MoneyMoved(_Strict):
    """Money the call puts into play: judged and counted as a Cadencia ads_set_budget."""

    target: Path_ = Field(description="Argument path of what holds the budget (campaign, ad set).")
    amount: Amount
    mode: Literal["set", "add"] = Field(
        "set",
        description="set: the amount is the new level (moved = |new - current|, current read by facts.campaign); "
        "add: the amount itself is new money (judged as a budget raised from nothing).",
    )


class PriceChange(_Strict):
    """A price the call sets: judged and counted as a Cadencia inventory_set_price (floors read facts.product)."""

    target: Path_ = Field(description="Argument path of the product or variant id.")
    amount: Amount


class ContactsReached(_Strict):
    """People the call messages: judged and counted as a Cadencia crm_send_now of the call's `text`."""

    path: Path_ = Field(description="Argument path of a list of recipients (distinct ones counted) or of a count.")
    channel: str = Field("email", description="email, sms or push: the channel the policy's channel rules read.")


class CallTemplate(_Strict):
    """An upstream call; argument strings `$args.PATH`, `$before.PATH`, `$result.PATH` are filled in."""

    tool: str = Field(description="The upstream tool's own name (unprefixed).")
    args: dict[str, JsonValue] = Field(default_factory=dict)


class UndoRecipe(_Strict):
    """How a call is undone: read the before-image, and write it back with the inverse call."""

    read: CallTemplate = Field(description="A read tool; $args only. Called before and after the call, and at undo.")
    capture: list[Path_] = Field(
        min_length=1,
        description="Paths in the read's result that make the image: compared at undo with what the call left "
        "(anything changed since: undo is refused) and afterwards with the before-image (read-back).",
    )
    inverse: CallTemplate = Field(description="The call that restores the before-image ($args, $before, $result).")

    @model_validator(mode="after")
    def _refs(self) -> UndoRecipe:
        if refs_in(self.read.args) - {"args"}:
            raise ValueError("read.args may only refer to $args (the before-image does not exist yet)")
        unknown = refs_in(self.inverse.args) - {"args", "before", "result"}
        if unknown:
            raise ValueError(f"inverse.args refers to unknown ${', $'.join(sorted(unknown))}")
        return self


class ToolOverlay(_Strict):
    """What one upstream tool (or every tool a glob matches) does."""

    match: str = Field(min_length=1, description="The upstream tool name, or a glob (`get_*`).")
    reversibility: Reversibility
    acts_as: str | None = Field(
        None, description="A Cadencia tool (combined-server name) taking the same arguments: judged exactly as it."
    )
    money: MoneyMoved | None = None
    price: PriceChange | None = None
    contacts: ContactsReached | None = None
    text: list[Path_] = Field(default_factory=list, description="Argument paths of text customers or the public see.")
    undo: UndoRecipe | None = None
    untrusted: list[Path_] | None = Field(
        None,
        description="Result paths of third-party text (reviews, names): published as cadencia/untrusted. Left out: "
        "every string the tool returns is treated as untrusted by Cadencia's graph.",
    )
    verified: bool = Field(True, description="false: written from the vendor's documentation, not checked live.")
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ToolOverlay:
        effects = self.money or self.price or self.contacts or self.text or self.acts_as
        if self.reversibility is Reversibility.READ and (effects or self.undo):
            raise ValueError("a read tool has no effects and no undo")
        if self.undo is not None and self.reversibility is not Reversibility.REVERSIBLE:
            raise ValueError(f"an undo recipe makes the tool reversible, not {self.reversibility.value}")
        if self.reversibility is Reversibility.REVERSIBLE and self.undo is None and self.acts_as is None:
            raise ValueError("reversible needs an undo recipe (or acts_as a reversible Cadencia tool)")
        return self

    @property
    def is_glob(self) -> bool:
        return bool(GLOB_CHARS & set(self.match))

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.match)


class Constant(_Strict):
    """A fact field the upstream does not report, fixed by the overlay (`{value: google}`)."""

    value: JsonValue


class FactSource(_Strict):
    """An upstream read that answers one of the policy's lookups; `$id` (and `$channel`) are filled in."""

    tool: str
    args: dict[str, JsonValue] = Field(default_factory=dict)
    items: Path_ | None = Field(None, description="Path of a list in the result to search, instead of the result.")
    where: dict[str, JsonValue] = Field(default_factory=dict, description="Item fields that must equal these.")
    next_cursor: Path_ | None = Field(None, description="Result path of the next page's cursor (paged lists).")
    cursor_arg: str = Field("cursor", description="The argument the cursor goes in.")
    fields: dict[str, Path_ | Amount | Constant] = Field(
        description="Fact field -> result path, an Amount (converted to minor units) or {value: constant}."
    )


class FactSources(_Strict):
    """Where the policy's lookups are read from; a lookup left out is unknown, and checks fail closed on it."""

    campaign: FactSource | None = Field(None, description="CampaignFacts of $id (daily_budget_minor, status, …).")
    product: FactSource | None = Field(None, description="ProductFacts of $id (price, list price, cost).")
    message: FactSource | None = Field(None, description="MessageFacts of $id.")
    purchase_order: FactSource | None = Field(None, description="PurchaseOrderFacts of $id.")
    segment_reach: FactSource | None = Field(None, description="fields.reach: recipients of segment $id on $channel.")


class Overlay(_Strict):
    """An overlay file (YAML), validated in full when loaded."""

    version: Literal[1]
    name: str = Field(min_length=1)
    description: str = ""
    source: str = Field(min_length=1, description="Where the tool list was read: a URL, or 'cadencia tools'.")
    prefix: str = Field(
        PROXY_PREFIX,
        pattern=r"^([a-z][a-z0-9]*_)?$",
        description="Prepended to every upstream tool name in the proxy's listing ('' keeps the names).",
    )
    tools: list[ToolOverlay] = Field(default_factory=list)
    facts: FactSources = FactSources()

    def entry(self, name: str) -> ToolOverlay | None:
        """The first entry naming or matching the upstream tool `name`."""
        return next((t for t in self.tools if t.matches(name)), None)

    def misfits(self, upstream: Iterable[str], cadencia_tools: Mapping[str, Reversibility]) -> list[str]:
        """Every way this overlay does not fit an upstream with these tool names (empty: it fits)."""
        names = set(upstream)
        problems: list[str] = []
        for i, tool in enumerate(self.tools):
            where = f"tools[{i}] ({tool.match})"
            if not any(tool.matches(n) for n in names):
                problems.append(f"{where}: the upstream has no tool {'matching' if tool.is_glob else 'named'} it")
            if tool.acts_as is not None and tool.acts_as not in cadencia_tools:
                problems.append(f"{where}: acts_as {tool.acts_as!r} is no Cadencia tool")
            for call in (tool.undo.read, tool.undo.inverse) if tool.undo else ():
                if call.tool not in names:
                    problems.append(f"{where}: undo calls {call.tool!r}, which the upstream lacks")
        sources = self.facts.model_dump(exclude_none=True)
        for fact in sources:
            source: FactSource = getattr(self.facts, fact)
            if source.tool not in names:
                problems.append(f"facts.{fact}: reads {source.tool!r}, which the upstream lacks")
        return problems


def overlay_schema() -> str:
    """The overlay's JSON Schema, as published in overlays/overlay.schema.json (editors validate YAML with it)."""
    schema = Overlay.model_json_schema()
    schema["title"] = "Cadencia proxy overlay"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def load_overlay(path: Path) -> Overlay:
    """Read and validate an overlay file; errors name the file and every bad field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OverlayError(f"cannot read overlay {path}: {exc.strerror}") from exc
    return load_yaml_model(Overlay, text, source=str(path), error=OverlayError)
