"""A write that cannot get its locks in time fails cleanly (a retryable conflict) and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cadencia.tools.errors import Conflict
from cadencia.tools.inventory.sandbox import SandboxInventory
from cadencia.tools.inventory.tables import products
from cadencia.tools.store.engine import open_engine
from cadencia.tools.store.store import Store

pytestmark = pytest.mark.concurrency


async def test_a_write_blocked_past_the_lock_timeout_is_a_contention_conflict(any_store: Store) -> None:
    url = any_store.engine.url.render_as_string(hide_password=False)
    impatient = Store(open_engine(url, busy_timeout_ms=300))
    before = any_store.state_hash()
    try:
        with any_store.writing() as holder:
            holder.execute(select(products).where(products.c.sku == "ML-000001").with_for_update())
            with pytest.raises(Conflict) as refused:
                await SandboxInventory(impatient).set_price(sku="ML-000001", price_minor=2590, currency="EUR")
    finally:
        impatient.close()
    assert refused.value.rule == "contention" and "nothing was changed" in refused.value.message
    assert any_store.state_hash() == before
