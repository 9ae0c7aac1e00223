"""Characters a model reads: the `tools/list` answer of `cadencia serve all` over stdio, and typical results.

Starts each server command as a subprocess (as an MCP client would), sends `initialize`, `tools/list` and three
typical read calls (CALLS) as raw JSON-RPC lines, and counts the characters of the `tools/list` result as the server
wrote it (with its share by part: descriptions, input and output schemas, annotations, `_meta`) and of the text
blocks of the three results. Give `--baseline CMD` to measure another server command (e.g. an older checkout's
`cadencia serve all`) in the same run.

Usage: python bench/bench_listing.py [--server "cadencia serve all --db PATH"] [--baseline "OTHER COMMAND"]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

PARTS = ("description", "inputSchema", "outputSchema", "annotations", "_meta")
CALLS = (
    ("inventory_list_products", {"limit": 20}),
    ("ads_get_performance", {"days": 28}),
    ("reviews_list_reviews", {"limit": 10}),
)


def listed(command: list[str]) -> tuple[str, list[dict[str, Any]], int]:
    """The raw `tools/list` result text, its parsed tools and the result text characters of CALLS."""
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "b", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        *(
            {"jsonrpc": "2.0", "id": 3 + i, "method": "tools/call", "params": {"name": name, "arguments": args}}
            for i, (name, args) in enumerate(CALLS)
        ),
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    try:
        for request in requests:
            process.stdin.write((json.dumps(request) + "\n").encode())
            process.stdin.flush()
        raw, tools, texts, pending = "", [], 0, 1 + len(CALLS)
        for line in process.stdout:
            message = json.loads(line)
            if message.get("id") == 2:
                text = line.decode().strip()
                raw, tools = (
                    text[text.index('"result":') + len('"result":') : text.rindex("}")],
                    message["result"]["tools"],
                )
            elif isinstance(message.get("id"), int) and message["id"] > 2:
                texts += sum(len(block.get("text", "")) for block in message["result"]["content"])
            else:
                continue
            pending -= 1
            if not pending:
                return raw, tools, texts
    finally:
        process.kill()
        process.wait()
    raise RuntimeError(f"{command} gave no tools/list answer")


def report(label: str, command: list[str]) -> tuple[int, int]:
    raw, tools, texts = listed(command)
    parts = {part: sum(len(json.dumps(t.get(part, ""), separators=(",", ":"))) for t in tools) for part in PARTS}
    shares = ", ".join(f"{part} {chars:,}" for part, chars in parts.items())
    print(f"{label}: {len(tools)} tools, {len(raw):,} characters ({len(raw) // len(tools):,} per tool; {shares})")
    print(f"{label}: result text of {', '.join(name for name, _ in CALLS)}: {texts:,} characters")
    return len(raw), texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="server command (default: cadencia serve all on a scratch database)")
    parser.add_argument("--baseline", help="another server command to measure in the same run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        default = f"cadencia serve all --db {Path(scratch) / 'sandbox.db'}"
        after, after_texts = report("server", shlex.split(args.server or default))
        if args.baseline:
            before, before_texts = report("baseline", shlex.split(args.baseline))
            print(f"listing: server / baseline = {after / before:.3f}; results: {after_texts / before_texts:.3f}")


if __name__ == "__main__":
    main()
