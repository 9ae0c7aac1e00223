"""One definition of who may be messaged: review requests ask the CRM's, so the two never disagree."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cadencia.tools.crm.eligibility import contact_eligibility, marketing_blocks
from cadencia.tools.crm.models import Channel, SkipReason
from cadencia.tools.crm.tables import contacts
from cadencia.tools.limits import MessagingLimits
from cadencia.tools.reviews.eligibility import eligibility
from cadencia.tools.store.store import Store

CRM_REASONS = {reason.value for reason in SkipReason}
LIMITS = MessagingLimits(frequency_cap=1)
"""A cap of one: the newsletter sent three days before the seeded today puts its recipients at the cap."""


@pytest.mark.parametrize("channel", list(Channel))
def test_review_requests_refuse_exactly_whom_the_crm_would_not_message(store: Store, channel: Channel) -> None:
    with store.reading() as conn:
        today = store.today(conn)
        ids = list(conn.execute(select(contacts.c.id).order_by(contacts.c.id).limit(200)).scalars())
        crm = {cid: contact_eligibility(conn, cid, today, LIMITS) for cid in ids}
        asked = eligibility(conn, today=today, limits=LIMITS, sku="ML-000001", channel=channel, contact_ids=ids)
    seen: set[str] = set()
    for row in asked:
        on_channel = next(e for e in crm[row.contact_id] if e.channel is channel)
        crm_reasons = [r for r in row.reasons if r in CRM_REASONS]
        assert bool(crm_reasons) is not on_channel.eligible, row
        if on_channel.reason is not None:
            assert on_channel.reason.value in crm_reasons
        seen.update(crm_reasons)
    assert {SkipReason.NO_CONSENT.value, SkipReason.SUPPRESSED.value} <= seen


def test_marketing_blocks_lists_every_failing_condition_first_one_being_the_skip_reason(store: Store) -> None:
    with store.reading() as conn:
        today = store.today(conn)
        ids = list(conn.execute(select(contacts.c.id).where(contacts.c.suppressed.is_(True)).limit(50)).scalars())
        blocks = marketing_blocks(conn, [*ids, "C-NOPE"], Channel.EMAIL, today, LIMITS)
        first = {cid: contact_eligibility(conn, cid, today, LIMITS)[0].reason for cid in ids}
    assert "C-NOPE" not in blocks and set(blocks) == set(ids)
    assert all(blocks[cid][0] is SkipReason.SUPPRESSED == first[cid] for cid in ids)
    assert any(len(reasons) > 1 for reasons in blocks.values())
