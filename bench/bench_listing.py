"""Characters a model reads before any work: the `tools/list` answer of `cadencia serve all` over stdio.

Starts each server command as a subprocess (as an MCP client would), sends `initialize` and `tools/list` as raw
JSON-RPC lines, and counts the characters of the `result` of `tools/list` as the server wrote it, plus its share by
part (descriptions, input schemas, output schemas, annotations, `_meta`). Give `--baseline CMD` to measure another
server command (e.g. an older checkout's `cadencia serve all`) in the same run.

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


def listed(command: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """The raw `tools/list` result text and its parsed tools, from a fresh stdio server process."""
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
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    try:
        for request in requests:
            process.stdin.write((json.dumps(request) + "\n").encode())
            process.stdin.flush()
        for line in process.stdout:
            message = json.loads(line)
            if message.get("id") == 2:
                raw = line.decode().strip()
                result = raw[raw.index('"result":') + len('"result":') : raw.rindex("}")]
                return result, message["result"]["tools"]
    finally:
        process.kill()
        process.wait()
    raise RuntimeError(f"{command} gave no tools/list answer")


def report(label: str, command: list[str]) -> int:
    raw, tools = listed(command)
    parts = {part: sum(len(json.dumps(t.get(part, ""), separators=(",", ":"))) for t in tools) for part in PARTS}
    shares = ", ".join(f"{part} {chars:,}" for part, chars in parts.items())
    print(f"{label}: {len(tools)} tools, {len(raw):,} characters ({len(raw) // len(tools):,} per tool; {shares})")
    return len(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="server command (default: cadencia serve all on a scratch database)")
    parser.add_argument("--baseline", help="another server command to measure in the same run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        default = f"cadencia serve all --db {Path(scratch) / 'sandbox.db'}"
        after = report("server", shlex.split(args.server or default))
        if args.baseline:
            before = report("baseline", shlex.split(args.baseline))
            print(f"server / baseline = {after / before:.3f} ({before / after:.1f}x smaller)")


if __name__ == "__main__":
    main()
