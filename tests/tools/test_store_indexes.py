"""A store made before an index existed gains it when opened: every declared index is present after `Store.open`."""

from __future__ import annotations

from sqlalchemy import inspect

from cadencia.tools.store.metadata import metadata
from cadencia.tools.store.store import Store


def _indexes(store: Store) -> set[str]:
    inspector = inspect(store.engine)
    return {str(i["name"]) for t in metadata.sorted_tables for i in inspector.get_indexes(t.name)}


def test_opening_an_older_store_creates_the_indexes_it_lacks(any_store: Store) -> None:
    declared = {str(i.name) for t in metadata.sorted_tables for i in t.indexes}
    assert {"ix_contacts_orders_count", "ix_sales_daily_window", "ix_reviews_newest"} <= declared <= _indexes(any_store)
    with any_store.writing() as conn:
        conn.exec_driver_sql("DROP INDEX ix_contacts_orders_count")
        conn.exec_driver_sql("DROP INDEX ix_sales_daily_window")
    assert "ix_contacts_orders_count" not in _indexes(any_store)
    reopened = Store.open(any_store.engine.url.render_as_string(hide_password=False))
    try:
        assert declared <= _indexes(reopened)
    finally:
        reopened.close()
