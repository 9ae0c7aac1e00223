"""Imports every capability's tables onto the shared metadata and creates them."""

from __future__ import annotations

from sqlalchemy import Engine

from cadencia.tools.ads import tables as _ads  # noqa: F401
from cadencia.tools.crm import tables as _crm  # noqa: F401
from cadencia.tools.inventory import tables as _inventory  # noqa: F401
from cadencia.tools.reviews import tables as _reviews  # noqa: F401
from cadencia.tools.store import claims as _claims  # noqa: F401
from cadencia.tools.store import journal as _journal  # noqa: F401
from cadencia.tools.store.metadata import metadata
from cadencia.tools.vendors import tables as _vendors  # noqa: F401


def create_all(engine: Engine) -> None:
    metadata.create_all(engine)


def drop_all(engine: Engine) -> None:
    metadata.drop_all(engine)
