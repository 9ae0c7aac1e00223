"""Durable approvals shared by the agent graph, the LangChain middleware and (later) the servers themselves."""

from cadencia.tools.approvals.binding import request_hash
from cadencia.tools.approvals.models import Answer, ApprovalRecord, ApprovalState, ApprovalTicket
from cadencia.tools.approvals.store import ApprovalInUse, ApprovalNotFound, ApprovalStore, ApprovalUnavailable

__all__ = [
    "Answer",
    "ApprovalInUse",
    "ApprovalNotFound",
    "ApprovalRecord",
    "ApprovalState",
    "ApprovalStore",
    "ApprovalTicket",
    "ApprovalUnavailable",
    "request_hash",
]
