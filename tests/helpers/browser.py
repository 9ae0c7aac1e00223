"""Drive Debian's headless Chromium over the DevTools protocol (websockets, no browser-automation dependency):
navigate, type with real key events, evaluate, and take screenshots at a given viewport."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium")
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium without a screen, a sandbox or any traffic of its own (no updates, sync or QUIC): tests stay offline."""
TIMEOUT_S = 60.0


class Page:
    """One browser tab: commands are sent in order and answered by id; events in between are skipped."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv(timeout=TIMEOUT_S))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except RuntimeError:
                pass  # the page is between documents
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}; page: {self.text()[:1000]}")

    def goto(self, url: str) -> None:
        """Open `url` and wait for the document it ends on (after any redirect) to finish loading."""
        self.evaluate("window.__before = true")
        self.send("Page.navigate", {"url": url})
        self.wait_for("window.__before === undefined && document.readyState === 'complete'")

    def submit_and_wait(self, click: str, *, expect_path: str | None = None) -> None:
        """Run `click` (which submits a form) and wait for the next document to finish loading."""
        self.evaluate("window.__before = true")
        self.evaluate(click)
        path = f" && location.pathname === {json.dumps(expect_path)}" if expect_path else ""
        self.wait_for(f"window.__before === undefined && document.readyState === 'complete'{path}")

    def key(self, key: str, code: str, key_code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": key_code},
            )

    def press_enter(self) -> None:
        self.send(
            "Input.dispatchKeyEvent",
            {"type": "keyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"},
        )
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Enter", "code": "Enter"})

    def tab_to(self, element_id: str, *, limit: int = 20) -> None:
        """Press Tab until the element has focus (it must be reachable by keyboard)."""
        for _ in range(limit):
            if self.evaluate(f"document.activeElement && document.activeElement.id === {json.dumps(element_id)}"):
                return
            self.key("Tab", "Tab", 9)
        raise AssertionError(f"#{element_id} is not reachable with Tab")

    def type_text(self, text: str) -> None:
        self.send("Input.insertText", {"text": text})

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''"))

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def screenshot(self, path: Path) -> bytes:
        png = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        path.write_bytes(png)
        return png


@contextmanager
def chromium_page(profile: Path) -> Iterator[Page]:
    """A headless Chromium with one tab, closed (and its process ended) when the block exits."""
    assert CHROMIUM is not None, "chromium is not installed (apt-get install chromium)"
    command = [
        CHROMIUM,
        *HEADLESS_FLAGS,
        "--remote-debugging-port=0",
        "--remote-allow-origins=*",
        f"--user-data-dir={profile}",
        "about:blank",
    ]
    profile.mkdir(parents=True, exist_ok=True)
    log = profile.parent / "chromium-stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        port = _devtools_port(profile / "DevToolsActivePort", process, log)
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        target = next(t for t in targets if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, open_timeout=TIMEOUT_S) as socket:
            page = Page(socket)
            page.send("Page.enable")
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _devtools_port(marker: Path, process: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"chromium exited: {log.read_text(errors='replace')[-2000:]}")
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.05)
    raise AssertionError("chromium did not open its DevTools port")
