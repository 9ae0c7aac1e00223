"""The claims library, creatives (approved claims only, AI disclosure) and A/B experiments on the sandbox store."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import Connection, or_, select

from cadencia.tools.ads import rows as rw
from cadencia.tools.ads.budget import refusal
from cadencia.tools.ads.experiments import analyze
from cadencia.tools.ads.measure import Totals
from cadencia.tools.ads.models import (
    Claim,
    Creative,
    CreativeChange,
    Experiment,
    ExperimentChange,
    ExperimentMetric,
    ExperimentReport,
)
from cadencia.tools.ads.reports import daily
from cadencia.tools.ads.tables import creatives, experiments
from cadencia.tools.errors import Conflict, InvalidArgument
from cadencia.tools.paging import Keyset, Page
from cadencia.tools.sandbox import SandboxCapability
from cadencia.tools.store.claims import claims
from cadencia.tools.store.mutation import Mutation

RUNNING = "running"


def _days(history: dict[date, Totals], since: date, until: date | None) -> list[Totals]:
    if until is None:
        return []
    return [t for d, t in sorted(history.items()) if since <= d <= until]


BY_CLAIM = Keyset((claims.c.id,))
BY_CREATIVE = Keyset((creatives.c.id,))
BY_EXPERIMENT = Keyset((experiments.c.id,))


class AdsContent(SandboxCapability):
    """Creatives, claims and experiments; `SandboxAds` adds campaigns and budgets."""

    # -- claims and creatives -----------------------------------------------------------------------------------

    async def list_claims(
        self, *, approved_only: bool = True, category: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Claim]:
        start = BY_CLAIM.decode(cursor)

        def run(conn: Connection) -> Page[Claim]:
            stmt = select(claims).order_by(*BY_CLAIM.order_by())
            if start is not None:
                stmt = stmt.where(BY_CLAIM.after(start))
            if approved_only:
                stmt = stmt.where(claims.c.approved.is_(True))
            if category is not None:
                stmt = stmt.where(claims.c.category == category)
            found = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Claim](items=[rw.claim(r) for r in found[:limit]], next_cursor=BY_CLAIM.next(found, limit))

        return await self._read(run)

    async def list_creatives(
        self, *, campaign_id: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> Page[Creative]:
        start = BY_CREATIVE.decode(cursor)

        def run(conn: Connection) -> Page[Creative]:
            stmt = select(creatives).order_by(*BY_CREATIVE.order_by())
            if start is not None:
                stmt = stmt.where(BY_CREATIVE.after(start))
            if campaign_id is not None:
                rw.campaign_row(conn, campaign_id)
                stmt = stmt.where(creatives.c.campaign_id == campaign_id)
            found = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Creative](
                items=[rw.creative(r) for r in found[:limit]], next_cursor=BY_CREATIVE.next(found, limit)
            )

        return await self._read(run)

    def _check_claims(self, conn: Connection, campaign_sku: str | None, claim_ids: list[str], copy: str) -> None:
        """Only existing, approved claims valid for the campaign's SKU; no unapproved claim's wording in the copy."""
        listed = conn.execute(select(claims).where(claims.c.id.in_(claim_ids))).mappings()
        found = {r["id"]: rw.claim(r) for r in listed}
        unknown = [c for c in claim_ids if c not in found]
        if unknown:
            raise refusal(
                "claim_ids", "approved_claims", f"unknown claim ids: {', '.join(unknown)}; use ids from list_claims"
            )
        refused = [c for c in claim_ids if not found[c].approved]
        if refused:
            raise refusal(
                "claim_ids",
                "approved_claims",
                f"claims not approved: {', '.join(refused)}; ads may only use approved claims (list_claims)",
            )
        off_product = [c for c in claim_ids if found[c].skus and campaign_sku not in found[c].skus]
        if off_product:
            raise refusal(
                "claim_ids",
                "approved_claims",
                f"claims {', '.join(off_product)} are approved only for other products, not this campaign's "
                f"{campaign_sku or 'brand-wide'} ad",
            )
        lowered = copy.lower()
        for row in conn.execute(select(claims).where(claims.c.approved.is_(False))).mappings():
            if row["text"].lower() in lowered:
                raise refusal(
                    "body", "approved_claims", f"the copy makes the unapproved claim {row['id']} ({row['text']!r})"
                )

    async def create_creative(
        self,
        *,
        campaign_id: str,
        headline: str,
        body: str,
        ai_generated: bool,
        claim_ids: list[str],
        idempotency_key: str | None = None,
    ) -> CreativeChange:
        def apply(m: Mutation) -> CreativeChange:
            campaign = rw.campaign_row(m.conn, campaign_id, lock=True)
            if not headline.strip() or not body.strip():
                raise InvalidArgument("headline and body must not be blank", field="headline")
            unique = list(dict.fromkeys(claim_ids))
            self._check_claims(m.conn, campaign["sku"], unique, f"{headline}\n{body}")
            created = m.insert(
                creatives,
                {
                    "id": m.next_id("CR"),
                    "campaign_id": campaign_id,
                    "headline": headline,
                    "body": body,
                    "ai_generated": ai_generated,
                    "claim_ids": json.dumps(unique),
                    "status": "active",
                    "created_on": m.today.isoformat(),
                },
            )
            return CreativeChange(creative=rw.creative(created))

        args = {
            "campaign_id": campaign_id,
            "headline": headline,
            "body": body,
            "ai_generated": ai_generated,
            "claim_ids": claim_ids,
        }
        return await self._write("create_creative", args, idempotency_key, apply, CreativeChange, reversible=True)

    # -- experiments --------------------------------------------------------------------------------------------

    async def list_experiments(self, *, cursor: str | None = None, limit: int = 20) -> Page[Experiment]:
        start = BY_EXPERIMENT.decode(cursor)

        def run(conn: Connection) -> Page[Experiment]:
            today = self.store.today(conn)
            stmt = select(experiments).order_by(*BY_EXPERIMENT.order_by())
            if start is not None:
                stmt = stmt.where(BY_EXPERIMENT.after(start))
            found = conn.execute(stmt.limit(limit + 1)).mappings().all()
            return Page[Experiment](
                items=[rw.experiment(r, today) for r in found[:limit]], next_cursor=BY_EXPERIMENT.next(found, limit)
            )

        return await self._read(run)

    async def start_experiment(
        self,
        *,
        name: str,
        campaign_a: str,
        campaign_b: str,
        metric: ExperimentMetric,
        days: int,
        idempotency_key: str | None = None,
    ) -> ExperimentChange:
        def apply(m: Mutation) -> ExperimentChange:
            if campaign_a == campaign_b:
                raise InvalidArgument("campaign_b must differ from campaign_a", field="campaign_b")
            if not 1 <= days <= 90:
                raise InvalidArgument(f"days must be between 1 and 90 (got {days})", field="days")
            fields = {campaign_a: "campaign_a", campaign_b: "campaign_b"}
            # Both arms locked in id order: two experiments cannot both claim a campaign, nor deadlock doing so.
            locked = {c: rw.campaign_row(m.conn, c, f, lock=True) for c, f in sorted(fields.items())}
            a, b = locked[campaign_a], locked[campaign_b]
            if a["platform"] != b["platform"] or a["currency"] != b["currency"]:
                raise InvalidArgument(
                    f"campaign_b: {campaign_a} runs on {a['platform']} ({a['currency']}) and {campaign_b} on "
                    f"{b['platform']} ({b['currency']}); both arms must share platform and currency, because each "
                    "platform attributes revenue differently and the test would measure that (rule same_platform)",
                    field="campaign_b",
                    rule="same_platform",
                )
            ends_on = m.today + timedelta(days=days - 1)
            ids = (campaign_a, campaign_b)
            busy = m.conn.execute(
                select(experiments.c.id).where(
                    experiments.c.status == RUNNING,
                    experiments.c.ends_on >= m.today.isoformat(),
                    or_(experiments.c.campaign_a.in_(ids), experiments.c.campaign_b.in_(ids)),
                )
            ).scalar()
            if busy:
                raise Conflict(
                    f"campaign_a: experiment {busy} is still running on one of these campaigns; wait for it to end",
                    field="campaign_a",
                )
            created = m.insert(
                experiments,
                {
                    "id": m.next_id("EXP"),
                    "name": name,
                    "campaign_a": campaign_a,
                    "campaign_b": campaign_b,
                    "metric": metric.value,
                    "status": RUNNING,
                    "started_on": m.today.isoformat(),
                    "ends_on": ends_on.isoformat(),
                },
            )
            return ExperimentChange(experiment=rw.experiment(created, m.today))

        args = {"name": name, "campaign_a": campaign_a, "campaign_b": campaign_b, "metric": metric.value, "days": days}
        return await self._write("start_experiment", args, idempotency_key, apply, ExperimentChange, reversible=True)

    async def get_experiment(self, *, experiment_id: str) -> ExperimentReport:
        def run(conn: Connection) -> ExperimentReport:
            row = rw.experiment_row(conn, experiment_id)
            today = self.store.today(conn)
            info = rw.experiment(row, today)
            last = min(info.ends_on, today - timedelta(days=1))
            until = last if last >= info.started_on else None
            history = daily(conn, [info.campaign_a, info.campaign_b], info.started_on, until or info.started_on)
            currency = rw.campaign_row(conn, info.campaign_a)["currency"]
            return analyze(
                info,
                _days(history.get(info.campaign_a, {}), info.started_on, until),
                _days(history.get(info.campaign_b, {}), info.started_on, until),
                currency=currency,
                until=until,
            )

        return await self._read(run)
