"""Promotions starting and ending with the calendar (goods-in is the inventory capability's `receiving`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, String, bindparam, case, update

from cadencia.tools.inventory.models import PromotionStatus
from cadencia.tools.inventory.sandbox import OPEN_PROMOTION
from cadencia.tools.inventory.tables import promotions

_pr = promotions.c
_DAY = bindparam("day", type_=String())
_ENDING = _pr.ends_on < _DAY
_STARTING = (_pr.status == PromotionStatus.SCHEDULED.value) & (_pr.starts_on <= _DAY)
REFRESH = (
    update(promotions)
    .where(_pr.status.in_(OPEN_PROMOTION), _ENDING | _STARTING)
    .values(status=case((_ENDING, PromotionStatus.ENDED.value), else_=PromotionStatus.ACTIVE.value))
)


def refresh_promotions(conn: Connection, day: date) -> None:
    """Promotions past `ends_on` become 'ended'; scheduled ones whose window covers `day` become 'active'."""
    conn.execute(REFRESH, {"day": day.isoformat()})
