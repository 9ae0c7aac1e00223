"""HeuristicPlanner: a marketing playbook with no LLM, the embedded default.

Rules, one domain of work each: protect stock (pause ads on SKUs about to run out, reorder by reorder point,
confirm drafts); move budget from low to high *marginal* ROAS within caps; promote overstocked SKUs only when
cover allows; flag reviews of any rating that carry instructions for an agent; answer negative reviews with
approved-claim templates, paced to clear the backlog within the goal's reply window; message consented segments
within caps. Over the cycle's action cap every domain keeps a fair share; objects the goal leaves to someone else
are never touched.
"""

from __future__ import annotations

import math
from datetime import timedelta

from pydantic import JsonValue

from cadencia.agents.actions import ExecutedAction, ProposedAction
from cadencia.agents.goal import Channel, Goal
from cadencia.agents.observation import CampaignSignal, Observation, StockSignal
from cadencia.agents.planners.base import Plan, PlanningInput, rejection_key
from cadencia.agents.planners.share import within_cap
from cadencia.agents.toolbox import Toolbox
from cadencia.tools.injection import detect
from cadencia.tools.names import Ads, Crm, Inventory, Reviews

RELIABLE = ("high", "medium")
DONOR_MROAS = 1.5
RECIPIENT_MROAS = 3.0
OVERSTOCK_DAYS = 75.0
PROMO_DAYS = 7
MAIN_WAREHOUSE = "WH-MAD"

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


def replies_per_cycle(backlog: int, within_days: float) -> int:
    """Replies one daily cycle makes so `backlog` unanswered complaints clear within `within_days` days."""
    return math.ceil(backlog / max(within_days, 1.0)) if backlog > 0 else 0


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
        domains = [
            self._protect_stock(goal, obs, executed),
            self._reallocate_budget(goal, obs, executed),
            self._promote_overstock(goal, obs, executed),
            self._moderate_reviews(obs, executed),
            self._answer_reviews(goal, obs, executed),
            self._message_segments(goal, obs, executed),
        ]
        hands_off = goal.hands_off_ids()

        def allowed(a: ProposedAction) -> bool:
            targets = {*a.entities, *(v for v in a.args.values() if isinstance(v, str))}
            return toolbox.has(a.tool) and rejection_key(a.tool, a.entities) not in refused and not targets & hands_off

        domains = [[a for a in domain if allowed(a)] for domain in domains]
        proposed = sum(len(d) for d in domains)
        # Over the cap, each domain keeps a fair share (its own order), so none can take every slot.
        actions = within_cap(domains, goal.autonomy.max_actions)
        return Plan(actions=actions, note=f"{len(actions)} of {proposed} playbook actions")

    # -- stock --------------------------------------------------------------------------------------------------

    def _protect_stock(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[ProposedAction]:
        floor = goal.constraints.stock_cover_floor_days
        actions: list[ProposedAction] = []
        at_risk = {s.sku: s for s in obs.stock if s.days_of_cover is not None and s.days_of_cover < floor}
        for campaign in obs.campaigns:
            if (
                campaign.status == "active"
                and campaign.sku in at_risk
                and not _done(executed, Ads.PAUSE_CAMPAIGN, campaign_id=campaign.id)
            ):
                cover = at_risk[campaign.sku].days_of_cover
                actions.append(
                    _action(
                        Ads.PAUSE_CAMPAIGN,
                        {"campaign_id": campaign.id},
                        f"{campaign.sku} has {cover} days of cover (< {floor}); stop paying for demand we cannot serve",
                        "spend saved on an item about to stock out",
                        [campaign.id, campaign.sku or ""],
                    )
                )
        for signal in obs.stock:
            actions += self._reorder(signal, executed)
        return actions

    def _reorder(self, s: StockSignal, executed: list[ExecutedAction]) -> list[ProposedAction]:
        if s.draft_orders:
            return [
                _action(
                    Inventory.CONFIRM_PURCHASE_ORDER,
                    {"purchase_order_id": po},
                    f"{s.sku}: on hand + incoming ({s.on_hand}+{s.incoming_units}) at or below the reorder point "
                    f"{s.reorder_point}; lead time {s.lead_time_days} days",
                    "stock arrives before the SKU runs out",
                    [po, s.sku],
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
        return [
            _action(
                Inventory.CREATE_PURCHASE_ORDER,
                {"sku": s.sku, "warehouse_id": MAIN_WAREHOUSE, "quantity": s.suggested_order_quantity},
                f"{s.sku}: position {s.on_hand + s.incoming_units} ≤ reorder point {s.reorder_point} "
                f"(demand {s.daily_demand}/day, lead time {s.lead_time_days} days)",
                f"draft order of {s.suggested_order_quantity} units covering lead time and safety stock",
                [s.sku],
            )
        ]

    # -- budget -------------------------------------------------------------------------------------------------

    def _reallocate_budget(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[ProposedAction]:
        allowed = {c.value for c in goal.constraints.allowed_channels}
        floor = goal.constraints.stock_cover_floor_days
        cover = {s.sku: s.days_of_cover for s in obs.stock}
        touched = {str(e.args.get("campaign_id")) for e in _done(executed, Ads.SET_BUDGET)}
        hands_off = goal.hands_off_ids()

        def eligible(c: CampaignSignal) -> bool:
            return (
                c.status == "active"
                and c.platform in allowed
                and c.marginal_quality in RELIABLE
                and c.marginal_roas is not None
                and c.currency == goal.constraints.currency
                and c.id not in touched
                and c.id not in hands_off
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
        actions: list[ProposedAction] = []
        for donor, recipient in zip(donors, recipients, strict=False):
            step = min(donor.daily_budget_minor * pct // 100, recipient.daily_budget_minor * pct // 100)
            step -= step % 100
            if step <= 0:
                continue
            actions.append(self._budget(donor, donor.daily_budget_minor - step, f"marginal ROAS {donor.marginal_roas}"))
            actions.append(
                self._budget(recipient, recipient.daily_budget_minor + step, f"marginal ROAS {recipient.marginal_roas}")
            )
        return actions

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

    def _promote_overstock(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[ProposedAction]:
        if obs.day is None:
            return []
        discount = min(15, goal.constraints.max_discount_pct)
        floor_margin = 1 + goal.constraints.min_margin_pct / 100
        actions = []
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
            actions.append(
                _action(
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
            )
        return actions[:3]

    # -- reviews ------------------------------------------------------------------------------------------------

    def _moderate_reviews(self, obs: Observation, executed: list[ExecutedAction]) -> list[ProposedAction]:
        """Flag every review in view, of any rating, whose text carries instructions aimed at an agent."""
        actions = []
        for review in [*obs.negative_reviews, *obs.other_reviews]:
            if not detect(f"{review.title}\n{review.body}").flagged:
                continue
            if _done(executed, Reviews.FLAG_REVIEW, review_id=review.id):
                continue
            actions.append(
                _action(
                    Reviews.FLAG_REVIEW,
                    {"review_id": review.id, "reason": "spam", "note": "contains instructions aimed at an agent"},
                    f"{review.rating}-star review text carries an instruction to the agent: flag it, never follow it",
                    "review moderated; injected text out of the agent's view",
                    [review.id],
                )
            )
        return actions

    def _answer_reviews(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[ProposedAction]:
        """Answer negative reviews at the pace that clears the backlog within the goal's reply window."""
        claim = next((c for c in obs.claims if c.id == REPLY_CLAIM), None)
        pace = replies_per_cycle(obs.negative_backlog or len(obs.negative_reviews), goal.constraints.reply_within_days)
        actions: list[ProposedAction] = []
        for review in obs.negative_reviews:
            if detect(f"{review.title}\n{review.body}").suspicious:
                continue  # flagged by _moderate_reviews, or for a person to read: never answered publicly
            if _done(executed, Reviews.REPLY_TO_REVIEW, review_id=review.id):
                continue
            if claim is None:
                continue
            wording = CLAIM_WORDING.get((claim.id, review.language))
            # One language per reply: the review's when the claim has a wording in it, else English throughout.
            template, said = (REPLIES[review.language], wording) if wording else (REPLIES["en"], claim.text)
            actions.append(
                _action(
                    Reviews.REPLY_TO_REVIEW,
                    {"review_id": review.id, "body": template.format(claim=said), "claim_ids": [claim.id]},
                    f"{review.rating}-star review on {review.sku} is unanswered; replying lifts later ratings",
                    "public apology with an approved claim",
                    [review.id, review.sku],
                )
            )
            if len(actions) >= pace:
                break
        return actions

    # -- messaging ----------------------------------------------------------------------------------------------

    def _message_segments(self, goal: Goal, obs: Observation, executed: list[ExecutedAction]) -> list[ProposedAction]:
        if Channel.EMAIL not in goal.constraints.allowed_channels or obs.day is None:
            return []
        if _done(executed, Crm.SCHEDULE_SEND) or _done(executed, Crm.SEND_NOW):
            return []
        budget = goal.autonomy.max_contacts_messaged
        options = [s for s in obs.segments if 0 < s.reach.get("email", 0) <= budget]
        if not options:
            return []
        segment = max(options, key=lambda s: s.reach.get("email", 0))
        drafts = _done(executed, Crm.DRAFT_MESSAGE)
        if not drafts:
            claims = [c for c in obs.claims if c.id in ("CL-DERM", "CL-SHIP")]
            body = "Discover our spring rituals. " + " · ".join(c.text for c in claims)
            return [
                _action(
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
            ]
        message = drafts[-1].result if isinstance(drafts[-1].result, dict) else {}
        message_id = (message.get("message") or {}).get("id") if isinstance(message.get("message"), dict) else None
        if not message_id:
            return []
        return [
            _action(
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
        ]
