"""Prompts for repeated jobs: listed and fetched by clients of both protocol eras, with arguments validated."""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError

from cadencia.agents.mcp_client import memory_client
from cadencia.servers.app import Capability, build_server
from cadencia.servers.context import Backends

NAMES = {"daily_check", "review_pending_approvals", "weekly_performance_report", "answer_negative_reviews"}


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_prompts_are_listed_and_fetched_on_both_eras(backends: Backends, mode: str) -> None:
    async with memory_client(build_server(Capability.INVENTORY, backends=backends), mode=mode) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        report = await client.get_prompt("weekly_performance_report", {"weeks": "2"})
    assert set(listed) == NAMES
    assert [a.name for a in listed["answer_negative_reviews"].arguments or []] == ["max_rating"]
    text = report.messages[0].content.text  # type: ignore[union-attr]
    assert "last 2 week(s)" in text and "marginal ROAS" in text


async def test_a_bad_prompt_argument_is_refused(backends: Backends) -> None:
    async with memory_client(build_server(Capability.ALL, backends=backends)) as client:
        with pytest.raises(MCPError):
            await client.get_prompt("weekly_performance_report", {"weeks": "99"})
