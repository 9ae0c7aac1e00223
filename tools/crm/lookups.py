"""Id lookups for the CRM tools: a NotFound that names the tool to call, and a row lock on write paths."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from cadencia.tools.crm.tables import contacts, messages, segments
from cadencia.tools.errors import NotFound
from cadencia.tools.store.mutation import Mutation, fetch_row


def contact_row(conn: Connection, contact_id: str, *, lock: bool = False) -> Any:
    row = fetch_row(conn, contacts, {"id": contact_id}, lock=lock)
    if row is None:
        raise NotFound(f"No contact {contact_id!r}; call find_contacts", field="contact_id")
    return row


def message_row(conn: Connection, message_id: str, *, lock: bool = False) -> Any:
    row = fetch_row(conn, messages, {"id": message_id}, lock=lock)
    if row is None:
        raise NotFound(f"No message {message_id!r}; call list_messages or draft_message", field="message_id")
    return row


def segment_row(conn: Connection, segment_id: str, *, lock: bool = False) -> Any:
    row = fetch_row(conn, segments, {"id": segment_id}, lock=lock)
    if row is None:
        raise NotFound(f"No segment {segment_id!r}; call list_segments", field="segment_id")
    return row


def mark_used(m: Mutation, message: Any, segment: Any) -> None:
    """Count the send on its message and segment, so undoing their creation is refused as stale from now on.

    `message` and `segment` were read with `lock=True` in this transaction, so the counts are current.
    """
    m.update(messages, {"id": message["id"]}, {"send_count": message["send_count"] + 1})
    m.update(segments, {"id": segment["id"]}, {"send_count": segment["send_count"] + 1})
