"""A proxied call as the server policy sees it: the Cadencia actions it amounts to (facets) and facts read from the
upstream through the overlay, so the same rules, thresholds and daily budgets judge a vendor's tools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from cadencia.servers.proxy.jsonpaths import PathMissing, read_path, resolve
from cadencia.servers.proxy.overlay import Amount, Constant, FactSource, FactSources, ToolOverlay
from cadencia.servers.proxy.units import AmountError, to_minor
from cadencia.servers.proxy.upstream import Upstream
from cadencia.servers.safety.guard import PolicyView
from cadencia.tools.errors import CadenciaError, InvalidArgument
from cadencia.tools.names import Ads, Crm, Inventory, Reviews
from cadencia.tools.policy.actions import JsonArgs, ProposedAction
from cadencia.tools.policy.facts import (
    CampaignFacts,
    ClaimFacts,
    MessageFacts,
    ProductFacts,
    PurchaseOrderFacts,
)
from cadencia.tools.reversibility import Reversibility
from cadencia.tools.store.canonical import canonical_json

F = TypeVar("F", bound=BaseModel)
MAX_PAGES = 20
NEW_MONEY = "new-money:"
"""Campaign id of money a call adds from nothing (mode add): a budget of zero, active."""
MESSAGE = "message:"
AUDIENCE = "audience:"
PUBLISHED = "published:"


def _listed(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else [value]


def _optional(args: JsonArgs, path: str) -> JsonValue | None:
    try:
        return read_path(args, path)
    except PathMissing:
        return None


def _minor(args: JsonArgs, amount: Amount, value: JsonValue, field: str) -> tuple[int, str]:
    currency = amount.currency or _optional(args, amount.currency_path or "")
    if not isinstance(currency, str) or len(currency) != 3:
        raise InvalidArgument(f"{amount.currency_path}: a currency code is needed for {field}", field=field)
    try:
        return to_minor(value, amount.unit, currency.upper()), currency.upper()
    except AmountError as exc:
        raise InvalidArgument(f"{field}: {exc}", field=field, rule="amount") from None


class Facets:
    """Build the Cadencia actions one proxied call amounts to, and the synthetic facts they need."""

    def __init__(self, ref: str, entry: ToolOverlay, args: JsonArgs) -> None:
        self.ref, self.entry, self.args = ref, entry, args
        self.campaigns: dict[str, CampaignFacts] = {}
        self.messages: dict[str, MessageFacts] = {}
        self.reach: dict[str, int] = {}

    def actions(self) -> list[ProposedAction]:
        """Every facet; an argument the overlay names but the call leaves out means that effect does not happen."""
        entry, facets = self.entry, []
        if entry.acts_as is not None:
            facets.append(self._action(entry.acts_as, self.args))
        if entry.money is not None:
            facets += self._money()
        if entry.price is not None:
            facets += self._prices()
        texts = [t for path in entry.text for t in _listed(_optional(self.args, path)) if isinstance(t, str)]
        if entry.contacts is not None:
            facets += self._send(texts)
        elif texts:
            body = "\n".join(texts)
            facets.append(self._action(Reviews.REPLY_TO_REVIEW, {"review_id": PUBLISHED + self.ref, "body": body}))
        return facets

    def _action(self, tool: str, args: JsonArgs) -> ProposedAction:
        return ProposedAction(id=f"{self.ref}/{tool}", tool=tool, args=args, source="proxy")

    def _money(self) -> list[ProposedAction]:
        money = self.entry.money
        assert money is not None
        amounts = _optional(self.args, money.amount.path)
        if amounts is None:
            return []
        targets = _optional(self.args, money.target) if money.mode == "set" else None
        facets = []
        for i, value in enumerate(_listed(amounts)):
            minor, currency = _minor(self.args, money.amount, value, money.amount.path)
            if money.mode == "add":
                target = f"{NEW_MONEY}{self.ref}/{i}"
                self.campaigns[target] = CampaignFacts(
                    id=target, platform="other", status="active", daily_budget_minor=0, currency=currency
                )
            else:
                target = _listed(targets)[i] if targets is not None and i < len(_listed(targets)) else None
            args: JsonArgs = {"campaign_id": target, "daily_budget_minor": minor, "currency": currency}
            facets.append(self._action(Ads.SET_BUDGET, args))
        return facets

    def _prices(self) -> list[ProposedAction]:
        price = self.entry.price
        assert price is not None
        amounts = _optional(self.args, price.amount.path)
        if amounts is None:
            return []
        targets = _listed(_optional(self.args, price.target))
        facets = []
        for i, value in enumerate(_listed(amounts)):
            minor, currency = _minor(self.args, price.amount, value, price.amount.path)
            sku = targets[i] if i < len(targets) else None
            facets.append(self._action(Inventory.SET_PRICE, {"sku": sku, "price_minor": minor, "currency": currency}))
        return facets

    def _send(self, texts: list[str]) -> list[ProposedAction]:
        contacts = self.entry.contacts
        assert contacts is not None
        value = _optional(self.args, contacts.path)
        if value is None:
            return []
        if isinstance(value, list):
            count = len({str(v) for v in value})
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            count = value
        else:
            raise InvalidArgument(f"{contacts.path}: a list of recipients or a count", field=contacts.path)
        message, audience = MESSAGE + self.ref, AUDIENCE + self.ref
        self.messages[message] = MessageFacts(id=message, channel=contacts.channel, body="\n".join(texts))
        self.reach[audience] = count
        return [self._action(Crm.SEND_NOW, {"message_id": message, "segment_id": audience})]


class UpstreamFacts:
    """`Facts` for one proxied call: its synthetic facts first, then the overlay's reads of the upstream."""

    def __init__(self, upstream: Upstream, sources: FactSources, facets: Facets | None = None) -> None:
        self.upstream, self.sources, self.facets = upstream, sources, facets
        self._read_once: dict[str, JsonValue] = {}
        """Upstream reads of this call, by tool and arguments: several checks ask for the same fact."""

    async def campaign(self, campaign_id: str) -> CampaignFacts | None:
        if self.facets is not None and campaign_id in self.facets.campaigns:
            return self.facets.campaigns[campaign_id]
        return await self._fact(CampaignFacts, self.sources.campaign, {"id": campaign_id})

    async def active_campaigns(self) -> list[CampaignFacts] | None:
        return None

    async def product(self, sku: str) -> ProductFacts | None:
        return await self._fact(ProductFacts, self.sources.product, {"id": sku})

    async def stock_cover_days(self, sku: str) -> float | None:
        return None

    async def segment_reach(self, segment_id: str, channel: str) -> int | None:
        if self.facets is not None and segment_id in self.facets.reach:
            return self.facets.reach[segment_id]
        found = await self._fields(self.sources.segment_reach, {"id": segment_id, "channel": channel})
        reach = None if found is None else found.get("reach")
        return reach if isinstance(reach, int) and not isinstance(reach, bool) else None

    async def message(self, message_id: str) -> MessageFacts | None:
        if self.facets is not None and message_id in self.facets.messages:
            return self.facets.messages[message_id]
        return await self._fact(MessageFacts, self.sources.message, {"id": message_id})

    async def claims(self) -> list[ClaimFacts] | None:
        return None

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrderFacts | None:
        return await self._fact(PurchaseOrderFacts, self.sources.purchase_order, {"id": purchase_order_id})

    async def _fact(self, fact: type[F], source: FactSource | None, scope: Mapping[str, JsonValue]) -> F | None:
        found = await self._fields(source, scope)
        if found is None:
            return None
        try:
            return fact.model_validate(found)
        except ValidationError:
            return None

    async def _fields(self, source: FactSource | None, scope: Mapping[str, JsonValue]) -> dict[str, JsonValue] | None:
        """The fact's fields read from the upstream; None when unknown (no source, a failed read, no such item)."""
        if source is None:
            return None
        try:
            item = await self._item(source, scope)
            return None if item is None else {k: _field(item, spec) for k, spec in source.fields.items()}
        except (CadenciaError, PathMissing, AmountError):
            return None

    async def _read(self, tool: str, args: dict[str, JsonValue]) -> JsonValue:
        key = canonical_json({"tool": tool, "args": args})
        if key not in self._read_once:
            self._read_once[key] = await self.upstream.read(tool, args)
        return self._read_once[key]

    async def _item(self, source: FactSource, scope: Mapping[str, JsonValue]) -> JsonValue | None:
        args = resolve(source.args, scope)
        assert isinstance(args, dict)
        want = resolve(source.where, scope)
        assert isinstance(want, dict)
        for _ in range(MAX_PAGES):
            result = await self._read(source.tool, args)
            if source.items is None:
                return result
            for item in _listed(read_path(result, source.items)):
                if isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
                    return item
            cursor = None if source.next_cursor is None else _optional_json(result, source.next_cursor)
            if not cursor:
                return None
            args = {**args, source.cursor_arg: cursor}
        return None


def _optional_json(value: JsonValue, path: str) -> JsonValue | None:
    try:
        return read_path(value, path)
    except PathMissing:
        return None


def _field(item: JsonValue, spec: str | Amount | Constant) -> JsonValue:
    if isinstance(spec, str):
        return read_path(item, spec)
    if isinstance(spec, Amount):
        currency = spec.currency or read_path(item, spec.currency_path or "")
        return to_minor(read_path(item, spec.path), spec.unit, str(currency))
    return spec.value


def policy_view(
    ref: str,
    entry: ToolOverlay | None,
    args: JsonArgs,
    upstream: Upstream,
    sources: FactSources,
    tools: Mapping[str, Reversibility],
) -> PolicyView:
    """The view the server policy judges a proxied call by; a tool no overlay entry names has no facets."""
    facets = None if entry is None else Facets(ref, entry, args)
    actions = [] if facets is None else facets.actions()
    registry = dict(tools)
    if entry is not None:
        registry |= {a.tool: entry.reversibility for a in actions}
    return PolicyView(facts=UpstreamFacts(upstream, sources, facets), facets=actions, tools=registry)
