"""Ads on the SQL sandbox store: the reference implementation of `AdsBackend`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from cadencia.tools.ads import marginal as mr
from cadencia.tools.ads import rows as rw
from cadencia.tools.ads.budget import BudgetRules, refusal
from cadencia.tools.ads.content import AdsContent
from cadencia.tools.ads.models import (
    BudgetChange,
    BudgetLimitsView,
    Campaign,
    CampaignChange,
    CampaignStatus,
    Objective,
    PerformanceReport,
    Platform,
)
from cadencia.tools.ads.reports import daily, measure_campaign, resolve_window, scope_totals
from cadencia.tools.ads.tables import campaigns
from cadencia.tools.errors import Conflict, InvalidArgument, NotFound
from cadencia.tools.inventory.tables import products, stock
from cadencia.tools.paging import Keyset, Page, decode_cursor, next_cursor
from cadencia.tools.store.mutation import Mutation
from cadencia.tools.undo import UndoResult, describe_changes

LAUNCH_NOTE = (
    "COMPENSABLE: the campaign now spends money. pause_campaign stops further spend, but what is spent stays spent."
)
PAUSE_NOTE = "Reversible: undo (or resume_campaign) restarts it; caps are checked again when it restarts."
RESUME_NOTE = "Spend restarts at the daily budget; pause_campaign or undo stops it again."

BY_CAMPAIGN = Keyset((campaigns.c.id,))


class SandboxAds(AdsContent):
    """Campaigns, budgets under caps, performance with marginal ROAS and lift, creatives and experiments."""

    capability = "ads"

    @property
    def rules(self) -> BudgetRules:
        return BudgetRules(self.limits.budget)

    # -- reads --------------------------------------------------------------------------------------------------

    async def list_campaigns(
        self,
        *,
        platform: Platform | None = None,
        status: CampaignStatus | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[Campaign]:
        start = BY_CAMPAIGN.decode(cursor)

        def run(conn: Connection) -> Page[Campaign]:
            stmt = select(campaigns)
            if platform is not None:
                stmt = stmt.where(campaigns.c.platform == platform.value)
            if status is not None:
                stmt = stmt.where(campaigns.c.status == status.value)
            count = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
            page = stmt.order_by(*BY_CAMPAIGN.order_by())
            if start is not None:
                page = page.where(BY_CAMPAIGN.after(start))
            found = conn.execute(page.limit(limit + 1)).mappings().all()
            return Page[Campaign](
                items=[rw.campaign(r) for r in found[:limit]], next_cursor=BY_CAMPAIGN.next(found, limit), total=count
            )

        return await self._read(run)

    async def get_campaign(self, *, campaign_id: str) -> Campaign:
        return await self._read(lambda conn: rw.campaign(rw.campaign_row(conn, campaign_id)))

    async def get_budget_limits(self) -> BudgetLimitsView:
        return await self._read(lambda conn: self.rules.view(self.rules.snapshot(conn)))

    async def get_performance(
        self,
        *,
        campaign_id: str | None = None,
        platform: Platform | None = None,
        days: int = 28,
        since: date | None = None,
        until: date | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> PerformanceReport:
        offset = decode_cursor(cursor)

        def run(conn: Connection) -> PerformanceReport:
            window = resolve_window(self.store.today(conn), days, since, until)
            if campaign_id is not None:
                row = rw.campaign_row(conn, campaign_id)
                if platform is not None and row["platform"] != platform.value:
                    raise InvalidArgument(
                        f"platform: campaign {campaign_id} runs on {row['platform']}, not {platform.value}; "
                        "give one of campaign_id or platform",
                        field="platform",
                    )
                selected, scope = [row], campaign_id
            else:
                stmt = select(campaigns).where(campaigns.c.status != CampaignStatus.DRAFT.value)
                if platform is not None:
                    stmt = stmt.where(campaigns.c.platform == platform.value)
                selected = list(conn.execute(stmt.order_by(campaigns.c.id)).mappings())
                scope = platform.value if platform else "all"
            history = daily(
                conn, [r["id"] for r in selected], window.since - timedelta(days=mr.WARMUP_DAYS), window.until
            )
            measured = [measure_campaign(r, history.get(r["id"], {}), window) for r in selected]
            marginal = (
                measured[0].estimate.marginal
                if campaign_id is not None
                else mr.aggregate([m.estimate for m in measured])
            )
            return PerformanceReport(
                scope=scope,
                since=window.since,
                until=window.until,
                totals=scope_totals(measured, {r["currency"] for r in selected}),
                marginal=marginal,
                campaigns=[m.performance for m in measured[offset : offset + limit]],
                next_cursor=next_cursor(offset, limit, len(measured) - offset),
            )

        return await self._read(run)

    # -- campaign writes ----------------------------------------------------------------------------------------

    def _check_stock(self, conn: Connection, row: Any) -> None:
        """Never advertise a product with nothing to sell."""
        if row["sku"] is None:
            return
        available = conn.execute(
            select(func.coalesce(func.sum(stock.c.on_hand - stock.c.reserved), 0)).where(stock.c.sku == row["sku"])
        ).scalar_one()
        if int(available) <= 0:
            raise refusal(
                "campaign_id",
                "sku_out_of_stock",
                f"campaign {row['id']} advertises {row['sku']}, which is out of stock; restock it (inventory) or "
                "advertise another product before starting spend",
            )

    def _status_change(
        self, m: Mutation, campaign_id: str, allowed: CampaignStatus, target: CampaignStatus, note: str
    ) -> CampaignChange:
        self.rules.lock(m)
        row = rw.campaign_row(m.conn, campaign_id, lock=True)
        if row["status"] != allowed.value:
            raise Conflict(
                f"campaign_id: campaign {campaign_id} is {row['status']}; it must be {allowed.value} to become "
                f"{target.value} (list_campaigns shows statuses)",
                field="campaign_id",
            )
        before = self.rules.snapshot(m.conn)
        if target is CampaignStatus.ACTIVE:
            rates = self.rules.rates(m.conn)
            self.rules.check_cap_currency(row["currency"], field="campaign_id", rates=rates)
            budget = self.rules.to_cap_minor(row["daily_budget_minor"], row["currency"], rates, "campaign_id")
            self.rules.check_minimum(budget, field="campaign_id")
            self._check_stock(m.conn, row)
        old, new = m.update(campaigns, {"id": campaign_id}, {"status": target.value})
        after = self.rules.enforce(m.conn, before, field="campaign_id")
        return CampaignChange(
            campaign=rw.campaign(new),
            previous=rw.campaign(old),
            totals=self.rules.totals(after, row["platform"]),
            note=note,
        )

    async def pause_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        def apply(m: Mutation) -> CampaignChange:
            return self._status_change(m, campaign_id, CampaignStatus.ACTIVE, CampaignStatus.PAUSED, PAUSE_NOTE)

        args = {"campaign_id": campaign_id}
        return await self._write("pause_campaign", args, idempotency_key, apply, CampaignChange, reversible=True)

    async def resume_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        def apply(m: Mutation) -> CampaignChange:
            return self._status_change(m, campaign_id, CampaignStatus.PAUSED, CampaignStatus.ACTIVE, RESUME_NOTE)

        args = {"campaign_id": campaign_id}
        return await self._write("resume_campaign", args, idempotency_key, apply, CampaignChange, reversible=True)

    async def launch_campaign(self, *, campaign_id: str, idempotency_key: str | None = None) -> CampaignChange:
        def apply(m: Mutation) -> CampaignChange:
            return self._status_change(m, campaign_id, CampaignStatus.DRAFT, CampaignStatus.ACTIVE, LAUNCH_NOTE)

        args = {"campaign_id": campaign_id}
        return await self._write("launch_campaign", args, idempotency_key, apply, CampaignChange, reversible=False)

    async def set_budget(
        self,
        *,
        campaign_id: str,
        daily_budget_minor: int,
        currency: str,
        expected_current_minor: int,
        idempotency_key: str | None = None,
    ) -> BudgetChange:
        def apply(m: Mutation) -> BudgetChange:
            self.rules.lock(m)
            row = rw.campaign_row(m.conn, campaign_id, lock=True)
            rates = self.rules.rates(m.conn)
            self.rules.check_currency(row, currency, rates)
            current = row["daily_budget_minor"]
            if current != expected_current_minor:
                raise Conflict(
                    f"expected_current_minor {expected_current_minor} is stale: campaign {campaign_id}'s daily "
                    f"budget is now {current}; decide again from the current value and retry with it",
                    field="expected_current_minor",
                )
            self.rules.check_minimum(self.rules.to_cap_minor(daily_budget_minor, currency, rates, "currency"))
            self.rules.check_change(current, daily_budget_minor)
            before = self.rules.snapshot(m.conn)
            old, new = m.update(campaigns, {"id": campaign_id}, {"daily_budget_minor": daily_budget_minor})
            after = self.rules.enforce(m.conn, before)
            return BudgetChange(
                campaign_id=campaign_id,
                currency=row["currency"],
                previous_daily_budget_minor=old["daily_budget_minor"],
                daily_budget_minor=new["daily_budget_minor"],
                totals=self.rules.totals(after, row["platform"]),
            )

        args = {
            "campaign_id": campaign_id,
            "daily_budget_minor": daily_budget_minor,
            "currency": currency,
            "expected_current_minor": expected_current_minor,
        }
        return await self._write("set_budget", args, idempotency_key, apply, BudgetChange, reversible=True)

    async def create_campaign(
        self,
        *,
        platform: Platform,
        name: str,
        objective: Objective,
        daily_budget_minor: int,
        currency: str,
        sku: str | None = None,
        holdout_pct: int = 0,
        idempotency_key: str | None = None,
    ) -> CampaignChange:
        def apply(m: Mutation) -> CampaignChange:
            rates = self.rules.rates(m.conn)
            self.rules.check_cap_currency(currency, rates=rates)
            self.rules.check_minimum(self.rules.to_cap_minor(daily_budget_minor, currency, rates, "currency"))
            if not 0 <= holdout_pct <= 50:
                raise InvalidArgument(f"holdout_pct must be between 0 and 50 (got {holdout_pct})", field="holdout_pct")
            if sku is not None and m.row(products, sku=sku) is None:
                raise NotFound(f"sku: no SKU {sku!r}; call list_products on the inventory server", field="sku")
            campaign_id = m.next_id("CMP")
            created = m.insert(
                campaigns,
                {
                    "id": campaign_id,
                    "platform": platform.value,
                    "name": name,
                    "status": CampaignStatus.DRAFT.value,
                    "objective": objective.value,
                    "currency": currency,
                    "daily_budget_minor": daily_budget_minor,
                    "sku": sku,
                    "holdout_pct": holdout_pct,
                    "created_on": m.today.isoformat(),
                },
            )
            return CampaignChange(
                campaign=rw.campaign(created),
                previous=None,
                totals=self.rules.totals(self.rules.snapshot(m.conn), platform.value),
                note="Draft: nothing is spent until launch_campaign (which needs approval: spend is compensable).",
            )

        args = {
            "platform": platform.value,
            "name": name,
            "objective": objective.value,
            "daily_budget_minor": daily_budget_minor,
            "currency": currency,
            "sku": sku,
            "holdout_pct": holdout_pct,
        }
        return await self._write("create_campaign", args, idempotency_key, apply, CampaignChange, reversible=True)

    # -- undo ---------------------------------------------------------------------------------------------------

    async def undo(self, *, token: str, idempotency_key: str | None = None) -> UndoResult:
        """Undo one reversible ads call; refused if restoring would break a cap (e.g. undoing a pause)."""

        def apply(m: Mutation) -> UndoResult:
            self.rules.lock(m)
            before = self.rules.snapshot(m.conn)
            tool, changes = self.store.undo(m.conn, capability=self.capability, token=token)
            self.rules.enforce(m.conn, before, field="token")
            return UndoResult(token=token, tool=tool, restored=describe_changes(changes))

        return await self._write("undo", {"token": token}, idempotency_key, apply, UndoResult, reversible=False)
