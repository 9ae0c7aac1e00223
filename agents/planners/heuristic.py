"""HeuristicPlanner: a marketing playbook with no LLM, the embedded default.

Rules: protect stock (reorder by reorder point, confirm drafts, pause ads on a SKU about to run out only when the
spend saved outweighs the margin lost); move budget from low to high *marginal* ROAS within caps; promote overstocked
SKUs only when cover allows; answer negative reviews with approved-claim templates (flag injected ones); message
consented segments within caps. Each proposal carries an expected value; when the run's action budget cannot take
them all, `priority.prioritise` chooses fairly across domains.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import JsonValue

from cadencia.agents.actions import ExecutedAction, ProposedAction
from cadencia.agents.goal import Channel, Goal
from cadencia.agents.observation import CampaignSignal, Observation, StockSignal
from cadencia.agents.planners.base import Plan, PlanningInput, rejection_key
from cadencia.agents.planners.priority import Candidate, Domain, cycle_quota, prioritise, remaining_actions
from cadencia.agents.toolbox import Toolbox
from cadencia.tools.injection import detect
from cadencia.tools.names import Ads, Crm, Inventory, Reviews

RELIABLE = ("high", "medium")
DONOR_MROAS = 1.5
RECIPIENT_MROAS = 3.0
OVERSTOCK_DAYS = 75.0
PROMO_DAYS = 7
MAX_REPLIES_PER_CYCLE = 2
MAIN_WAREHOUSE = "WH-MAD"
FINISH_STARTED = 2
"""Confirming a draft order already made outranks drafting a new one of the same worth (finish what was started)."""
TYPICAL_MARGIN = 0.5
"""Margin share of a sale used to value budget moves across SKUs (cosmetics: cost is about half the price)."""

REPLIES = {
    "es": "Sentimos mucho tu experiencia. Queremos ayudarte: {claim}. Escríbenos y lo resolvemos. — Equipo Maison Lysa",
    "fr": "Nous sommes désolés de votre expérience. Pour vous aider : {claim}. Contactez-nous. — L'équipe Maison Lysa",
    "en": "We are sorry about your experience. We want to make it right: {claim}. Please contact us. — Maison Lysa",
}
REPLY_CLAIM = "CL-RETURN"
CLAIM_WORDING = {
    # The approved claim, as the reply says it in each language (cited by id; the library's text is English).
    ("CL-RETURN", "es"): "devolución en 30 días",
    ("CL-RETURN", "fr"): "retours sous 30 jours",
}
NEWSLETTER_VALUE_PER_CONTACT_MINOR = 5
"""Rough margin one newsletter recipient brings (≈ 0.1 % order rate on a ~50 EUR basket, half of it margin)."""
REPLY_VALUE_MINOR = 2_000
"""Rough worth of answering one low-rated review (later ratings and conversion), per star below three."""


def _action(tool: str, args: dict[str, JsonValue], rationale: str, effect: str, entities: list[str]) -> ProposedAction:
    return ProposedAction(
        id="pending",
        tool=tool,
        args=args,
        rationale=rationale,
        expected_effect=effect,
        entities=entities,
        source="planner:heuristic",
    )


def _done(executed: list[ExecutedAction], tool: str, **match: JsonValue) -> list[ExecutedAction]:
    return [e for e in executed if e.ok and e.tool == tool and all(e.args.get(k) == v for k, v in match.items())]


class HeuristicPlanner:
    """Deterministic playbook over an Observation; every number it uses comes from the observation."""

    name = "heuristic"

    async def plan(self, request: PlanningInput, toolbox: Toolbox) -> Plan:
        goal, obs, executed = request.goal, request.observation, request.executed
        refused = set(request.rejected_requests)
        days_left = max(1, goal.kpi.horizon_days - request.cycle)
        candidates: list[Candidate] = []
        candidates += self._protect_stock(goal, obs, executed, days_left)
        candidates += self._reallocate_budget(goal, obs, executed, days_left)
        candidates += self._promote_overstock(goal, obs, executed)
        candidates += self._answer_reviews(obs, executed)
        candidates += self._message_segments(goal, obs, executed)
        candidates = [
            c
            for c in candidates
            if toolbox.has(c.action.tool) and rejection_key(c.action.tool, c.action.entities) not in refused
        ]
        quota = cycle_quota(remaining_actions(goal.autonomy.max_actions, executed), days_left)
        actions = prioritise(candidates, quota)
        note = f"{len(actions)} of {len(candidates)} playbook actions (quota {quota})"
        return Plan(actions=actions, note=note)

    # -- stock --------------------------------------------------------------------------------------------------

    def _protect_stock(
        self, goal: Goal, obs: Observation, executed: list[ExecutedAction], days_left: int
    ) -> list[Candidate]:
        floor = goal.constraints.stock_cover_floor_days
        candidates: list[Candidate] = []
        for signal in obs.stock:
            active = [
                c
                for c in obs.campaigns
                if c.sku == signal.sku
                and c.status == "active"
                and not _done(executed, Ads.PAUSE_CAMPAIGN, campaign_id=c.id)
            ]
            candidates += self._pause_if_wasted(active, signal, floor)
        for signal in obs.stock:
            candidates += self._reorder(signal, executed, days_left)
        return candidates

    @staticmethod
    def _pause_if_wasted(active: list[CampaignSignal], s: StockSignal, floor: float) -> list[Candidate]:
        """Pause a low-cover SKU's ads when, until a restock can land, they would cost more than the margin of every
        unit the SKU can still sell (on hand and incoming): the spend saved then outweighs the margin lost. Ads on a
        SKU whose stock can still earn more than they cost keep running."""
        if not active or s.days_of_cover is None or s.days_of_cover >= floor:
            return []
        spend = sum(c.daily_budget_minor for c in active) * max(s.lead_time_days, 1)
        sellable = (s.on_hand + s.incoming_units) * max(s.price_minor - s.cost_minor, 0)
        if spend <= sellable:
            return []
        rationale = (
            f"{s.sku} has {s.days_of_cover} days of cover (< {floor}); until a restock lands ({s.lead_time_days} days)"
            f" its ads would spend ~{spend} minor units, more than the ~{sellable} of margin its {s.on_hand}+"
            f"{s.incoming_units} units can bring: stop paying for demand we cannot serve"
        )
        return [
            Candidate(
                _action(
                    Ads.PAUSE_CAMPAIGN,
                    {"campaign_id": c.id},
                    rationale,
                    f"spend saved on an item about to stock out (~{c.daily_budget_minor}/day)",
                    [c.id, c.sku or ""],
                ),
                Domain.STOCK,
                spend - sellable,
                group=f"pause:{s.sku}",
            )
            for c in active
        ]

    def _reorder(self, s: StockSignal, executed: list[ExecutedAction], days_left: int) -> list[Candidate]:
        # Margin of the stock-out days an order placed now avoids within the goal's horizon (it lands after the lead
        # time), plus one day for what it protects beyond the horizon.
        cover = s.days_of_cover if s.days_of_cover is not None else 0.0
        avoided_days = max(0.0, days_left - max(cover, s.lead_time_days)) + 1.0
        protected = round(s.daily_demand * max(s.price_minor - s.cost_minor, 0) * avoided_days)
        if s.draft_orders:
            return [
                Candidate(
                    _action(
                        Inventory.CONFIRM_PURCHASE_ORDER,
                        {"purchase_order_id": po},
                        f"{s.sku}: on hand + incoming ({s.on_hand}+{s.incoming_units}) at or below the reorder point "
                        f"{s.reorder_point}; lead time {s.lead_time_days} days",
                        "stock arrives before the SKU runs out",
                        [po, s.sku],
                    ),
                    Domain.STOCK,
                    protected * FINISH_STARTED,
                )
                for po in s.draft_orders
                if s.should_reorder and not _done(executed, Inventory.CONFIRM_PURCHASE_ORDER, purchase_order_id=po)
            ]
        if (
            not s.should_reorder
            or s.suggested_order_quantity <= 0
            or _done(executed, Inventory.CREATE_PURCHASE_ORDER, sku=s.sku)
        ):
            return []
        action = _action(
            Inventory.CREATE_PURCHASE_ORDER,
            {"sku": s.sku, "warehouse_id": MAIN_WAREHOUSE, "quantity": s.suggested_order_quantity},
            f"{s.sku}: position {s.on_hand + s.incoming_units} ≤ reorder point {s.reorder_point} "
            f"(demand {s.daily_demand}/day, lead time {s.lead_time_days} days)",
            f"draft order of {s.suggested_order_quantity} units covering lead time and safety stock",
            [s.sku],
        )
        return [Candidate(action, Domain.STOCK, protected, cost=2)]  # the draft, then its confirmation

    # -- budget -------------------------------------------------------------------------------------------------

    def _reallocate_budget(
        self, goal: Goal, obs: Observation, executed: list[ExecutedAction], days_left: int
    ) -> list[Candidate]:
        allowed = {c.value for c in goal.constraints.allowed_channels}
        floor = goal.constraints.stock_cover_floor_days
        cover = {s.sku: s.days_of_cover for s in obs.stock}
        touched = {str(e.args.get("campaign_id")) for e in _done(executed, Ads.SET_BUDGET)}

        def eligible(c: CampaignSignal) -> bool:
            return (
                c.status == "active"
                and c.platform in allowed
                and c.marginal_quality in RELIABLE
                and c.marginal_roas is not None
                and c.currency == goal.constraints.currency
                and c.id not in touched
            )

        candidates = [c for c in obs.campaigns if eligible(c)]
        donors = sorted((c for c in candidates if c.marginal_roas < DONOR_MROAS), key=lambda c: c.marginal_roas or 0)
        recipients = sorted(
            (
                c
                for c in candidates
                if (c.marginal_roas or 0) > RECIPIENT_MROAS and (c.sku is None or (cover.get(c.sku) or 0) >= floor)
            ),
            key=lambda c: -(c.marginal_roas or 0),
        )
        pct = goal.constraints.max_budget_change_pct
        candidates: list[Candidate] = []
        for donor, recipient in zip(donors, recipients, strict=False):
            step = min(donor.daily_budget_minor * pct // 100, recipient.daily_budget_minor * pct // 100)
            step -= step % 100
            if step <= 0:
                continue
            # Revenue gained per day by moving `step`, times a typical margin share, over the days left.
            gain = round(
                step * ((recipient.marginal_roas or 0) - (donor.marginal_roas or 0)) * TYPICAL_MARGIN * days_left
            )
            group = f"budget:{donor.id}>{recipient.id}"
            cut = self._budget(donor, donor.daily_budget_minor - step, f"marginal ROAS {donor.marginal_roas}")
            raise_ = self._budget(
                recipient, recipient.daily_budget_minor + step, f"marginal ROAS {recipient.marginal_roas}"
            )
            candidates.append(Candidate(cut, Domain.ADS, gain, group))
            candidates.append(Candidate(raise_, Domain.ADS, gain, group))
        return candidates

    @staticmethod
    def _budget(c: CampaignSignal, new: int, why: str) -> ProposedAction:
        direction = "raise" if new > c.daily_budget_minor else "cut"
        return _action(
            Ads.SET_BUDGET,
            {
                "campaign_id": c.id,
                "daily_budget_minor": new,
                "currency": c.currency,
                "expected_current_minor": c.daily_budget_minor,
            },
            f"{direction} {c.id} ({c.platform}): {why}; average ROAS {c.roas} is not the signal",
            f"daily budget {c.daily_budget_minor} → {new}",
            [c.id],
        )

    # -- promotions ---------------------------------------------------------------------------------------------

    def _promote_overstock(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[Candidate]:
        if obs.day is None:
            return []
        discount = min(15, goal.constraints.max_discount_pct)
        floor_margin = 1 + goal.constraints.min_margin_pct / 100
        actions: list[Candidate] = []
        for s in obs.stock:
            if s.promoted or s.days_of_cover is None or s.days_of_cover < OVERSTOCK_DAYS or discount <= 0:
                continue
            if s.price_minor * (100 - discount) / 100 < s.cost_minor * floor_margin:
                continue
            if _done(executed, Inventory.SCHEDULE_PROMOTION, sku=s.sku):
                continue
            # A promotion lifts demand ~3.6× the discount depth: keep the cover above the floor even then.
            lifted_cover = s.days_of_cover / (1 + 3.6 * discount / 100)
            if lifted_cover < goal.constraints.stock_cover_floor_days + PROMO_DAYS:
                continue
            start = obs.day
            extra_units = s.daily_demand * 3.6 * discount / 100 * PROMO_DAYS
            unit_margin = s.price_minor * (100 - discount) / 100 - s.cost_minor
            action = _action(
                Inventory.SCHEDULE_PROMOTION,
                {
                    "sku": s.sku,
                    "discount_pct": discount,
                    "starts_on": start.isoformat(),
                    "ends_on": (start + timedelta(days=PROMO_DAYS - 1)).isoformat(),
                    "label": f"Spring ritual -{discount}%",
                },
                f"{s.sku} has {s.days_of_cover} days of cover (overstock); cover stays ≥ {lifted_cover:.0f} days",
                f"clear excess stock: ~{3.6 * discount:.0f}% more units for {PROMO_DAYS} days",
                [s.sku],
            )
            actions.append(Candidate(action, Domain.PROMOTIONS, round(extra_units * unit_margin)))
        return actions[:3]

    # -- reviews ------------------------------------------------------------------------------------------------

    def _answer_reviews(self, obs: Observation, executed: list[ExecutedAction]) -> list[Candidate]:
        claim = next((c for c in obs.claims if c.id == REPLY_CLAIM), None)
        actions: list[Candidate] = []
        for review in obs.negative_reviews:
            reading = detect(f"{review.title}\n{review.body}")
            if reading.flagged:
                if not _done(executed, Reviews.FLAG_REVIEW, review_id=review.id):
                    flag = _action(
                        Reviews.FLAG_REVIEW,
                        {
                            "review_id": review.id,
                            "reason": "spam",
                            "note": "contains instructions aimed at an agent",
                        },
                        "customer text carries an instruction to the agent: flag it, never follow it",
                        "review moderated; injected text out of the agent's view",
                        [review.id],
                    )
                    actions.append(Candidate(flag, Domain.SAFETY, 0))
                continue
            if reading.suspicious:
                continue
            if _done(executed, Reviews.REPLY_TO_REVIEW, review_id=review.id):
                continue
            if claim is None:
                continue
            wording = CLAIM_WORDING.get((claim.id, review.language))
            # One language per reply: the review's when the claim has a wording in it, else English throughout.
            template, said = (REPLIES[review.language], wording) if wording else (REPLIES["en"], claim.text)
            # Worst-rated first: a 1-star review left unanswered costs more than a 2-star one.
            reply = _action(
                Reviews.REPLY_TO_REVIEW,
                {"review_id": review.id, "body": template.format(claim=said), "claim_ids": [claim.id]},
                f"{review.rating}-star review on {review.sku} is unanswered; replying lifts later ratings",
                "public apology with an approved claim",
                [review.id, review.sku],
            )
            actions.append(Candidate(reply, Domain.REVIEWS, REPLY_VALUE_MINOR * (3 - review.rating)))
            if sum(c.action.tool == Reviews.REPLY_TO_REVIEW for c in actions) >= MAX_REPLIES_PER_CYCLE:
                break
        return actions

    # -- messaging ----------------------------------------------------------------------------------------------

    def _message_segments(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[Candidate]:
        if Channel.EMAIL not in goal.constraints.allowed_channels or obs.day is None:
            return []
        if _done(executed, Crm.SCHEDULE_SEND) or _done(executed, Crm.SEND_NOW):
            return []
        budget = goal.autonomy.max_contacts_messaged
        options = [s for s in obs.segments if 0 < s.reach.get("email", 0) <= budget]
        if not options:
            return []
        segment = max(options, key=lambda s: s.reach.get("email", 0))
        value = round(segment.reach.get("email", 0) * NEWSLETTER_VALUE_PER_CONTACT_MINOR)
        drafts = _done(executed, Crm.DRAFT_MESSAGE)
        if not drafts:
            claims = [c for c in obs.claims if c.id in ("CL-DERM", "CL-SHIP")]
            body = "Discover our spring rituals. " + " · ".join(c.text for c in claims)
            draft = _action(
                Crm.DRAFT_MESSAGE,
                {
                    "channel": "email",
                    "subject": "Your spring ritual",
                    "body": body,
                    "claim_ids": [c.id for c in claims],
                    "ai_generated": False,
                },
                f"segment {segment.name} has {segment.reach.get('email', 0)} consented, uncapped email contacts",
                "a draft newsletter using approved claims only",
                [segment.id],
            )
            return [Candidate(draft, Domain.MESSAGING, value)]
        message = drafts[-1].result if isinstance(drafts[-1].result, dict) else {}
        message_id = (message.get("message") or {}).get("id") if isinstance(message.get("message"), dict) else None
        if not message_id:
            return []
        send = _action(
            Crm.SCHEDULE_SEND,
            {
                "message_id": message_id,
                "segment_id": segment.id,
                "scheduled_for": (obs.day + timedelta(days=1)).isoformat(),
            },
            f"send to {segment.name}: {segment.reach.get('email', 0)} eligible after consent and caps",
            "orders from the newsletter; cancellable until it goes out",
            [segment.id, message_id],
        )
        return [Candidate(send, Domain.MESSAGING, value)]
