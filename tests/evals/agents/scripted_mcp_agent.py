"""A scripted external MCP agent for eval runs: each simulated day it makes the same calls (a small price change, a
budget raise past the threshold, a send to the largest segment, a draft with an email address in it) and appends
what the servers answered to $AGENT_OUTCOMES (one JSON line per call), so runs can be compared call by call."""

from __future__ import annotations

import asyncio
import json
import os
import re

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

CALLS = [
    ("inventory_set_price", {"sku": "ML-000001", "price_minor": 2590, "currency": "EUR"}),
    ("ads_get_campaign", {"campaign_id": "CMP-GO000"}),
    ("crm_send_now", {"message_id": "MSG-000000", "segment_id": "SEG-LAPSED"}),
    (
        "crm_draft_message",
        {
            "channel": "email",
            "subject": "Hi",
            "body": "Reply to ana@example.com",
            "claim_ids": [],
            "ai_generated": False,
        },
    ),
    ("inventory_set_price", {"sku": "ML-000002", "price_minor": 10, "currency": "EUR"}),
]


def outcome(result: object) -> str:
    if not getattr(result, "is_error", False):
        return "ok"
    text = "\n".join(getattr(c, "text", "") for c in getattr(result, "content", []))
    return re.sub(r"srv-[0-9a-f]+", "srv-ID", text)


async def main() -> None:
    headers = {"Authorization": "Bearer " + os.environ["CADENCIA_TOKEN"]}
    day = os.environ["CADENCIA_DAY"]
    lines = []
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120) as http,
        Client(streamable_http_client(os.environ["CADENCIA_MCP_URL"], http_client=http)) as client,
    ):
        campaign = (await client.call_tool("ads_get_campaign", {"campaign_id": "CMP-GO000"})).structured_content
        current = int((campaign or {}).get("daily_budget_minor", 0))
        raise_args = {
            "campaign_id": "CMP-GO000",
            "daily_budget_minor": current * 2,
            "currency": "EUR",
            "expected_current_minor": current,
        }
        for tool, args in [*CALLS, ("ads_set_budget", raise_args)]:
            result = await client.call_tool(tool, args)
            lines.append(json.dumps({"day": day, "tool": tool, "outcome": outcome(result)}))
    target = os.environ.get("AGENT_OUTCOMES")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
