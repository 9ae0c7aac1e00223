"""Deterministic day-by-day market simulator over the sandbox store, with a hidden true-money ledger."""

from cadencia.evals.world.counterfactual import ChannelTruth, LedgerTotals, channel_truth, clone_store, ledger_totals
from cadencia.evals.world.events import (
    EVENT_ADAPTER,
    AnotherClient,
    CompetitorPriceCut,
    ConsentWithdrawn,
    ContactSuppressed,
    CpmShock,
    DemandSpike,
    Event,
    NegativeReviewBurst,
    PromptInjection,
    SupplierDelay,
    ViralPost,
)
from cadencia.evals.world.messaging import Dispatcher
from cadencia.evals.world.report import DayReport
from cadencia.evals.world.truth import open_truth
from cadencia.evals.world.world import World

__all__ = [
    "EVENT_ADAPTER",
    "AnotherClient",
    "ChannelTruth",
    "CompetitorPriceCut",
    "ConsentWithdrawn",
    "ContactSuppressed",
    "CpmShock",
    "DayReport",
    "DemandSpike",
    "Dispatcher",
    "Event",
    "LedgerTotals",
    "NegativeReviewBurst",
    "PromptInjection",
    "SupplierDelay",
    "ViralPost",
    "World",
    "channel_truth",
    "clone_store",
    "ledger_totals",
    "open_truth",
]
