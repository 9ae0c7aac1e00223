"""The inbox in headless Chromium, served by `cadencia inbox`: log in by keyboard, approve one, reject one with a note,
edit a paused run's action (guarded again and refused), see an expired one; layout checked at desktop and phone
widths (no horizontal overflow, every field labelled, readable contrast). Screenshots go to the test's temporary
directory; with CADENCIA_UPDATE_SCREENSHOTS=1 they also replace docs/inbox-desktop.png and docs/inbox-phone.png."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.browser import CHROMIUM, Page, chromium_page
from helpers.http_serve import _wait_until_listening, free_port
from helpers.inbox import APPROVER_TOKEN, paused_run, server_ticket

from cadencia.tools.approvals import ApprovalState, ApprovalStore

DOCS = Path(__file__).resolve().parents[2] / "docs"
DESKTOP, PHONE = (1280, 900), (390, 844)
PII_BODY = "Call me at +34 612 345 678 or write to ana.garcia@example.com"

LAYOUT = """(() => {
  const fields = [...document.querySelectorAll('input:not([type=hidden]), textarea')];
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    unlabelled: fields.filter(f => f.labels.length === 0).map(f => f.name),
    nameless: [...document.querySelectorAll('button, a')].filter(b => !b.textContent.trim()).length,
    colors: [...document.querySelectorAll('body, button.primary, button.danger, .meta, a')].slice(0, 40).map(e => {
      const s = getComputedStyle(e);
      let bg = s.backgroundColor, up = e;
      while (bg === 'rgba(0, 0, 0, 0)' && up.parentElement) {
        up = up.parentElement; bg = getComputedStyle(up).backgroundColor;
      }
      return [s.color, bg === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : bg];
    }),
  };
})()"""


def _luminance(rgb: str) -> float:
    channels = [int(float(c)) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(fg: str, bg: str) -> float:
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _check_layout(page: Page, where: str) -> None:
    found = page.evaluate(LAYOUT)
    assert found["overflow"] <= 0, f"{where}: the page scrolls sideways by {found['overflow']} px"
    assert found["unlabelled"] == [], f"{where}: fields without a label: {found['unlabelled']}"
    assert found["nameless"] == 0, f"{where}: buttons or links without a name"
    worst = min(_contrast(fg, bg) for fg, bg in found["colors"])
    assert worst >= 4.5, f"{where}: text contrast {worst:.2f} is below WCAG AA (4.5)"


def _shot(page: Page, size: tuple[int, int], out: Path, name: str) -> None:
    page.viewport(*size, mobile=size == PHONE)
    page.wait_for("document.readyState === 'complete'")
    _check_layout(page, f"{name} at {size[0]} px")
    png = page.screenshot(out / name)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == size
    assert len(png) > 20_000, "the screenshot is nearly blank"
    if os.environ.get("CADENCIA_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(out / name, DOCS / name)


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="chromium is not installed (apt-get install chromium); CI installs it and never skips this",
)
def test_a_person_answers_approvals_in_the_browser_at_desktop_and_phone_widths(
    tmp_path: Path, seeded_sqlite_template: Path
) -> None:
    paused = paused_run(tmp_path, seeded_sqlite_template)
    store = ApprovalStore.open(paused.workdir.approvals)
    for approval_id in ("srv-approve-me", "srv-reject-me"):
        server_ticket(store, approval_id)
    server_ticket(store, "srv-too-late", expired=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "cadencia", "inbox", "--workdir", str(paused.workdir.root), "--port", str(port)]
    env = {**os.environ, "CADENCIA_TOKENS": f"{APPROVER_TOKEN}:approve"}
    inbox = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        _wait_until_listening(inbox, port)
        with chromium_page(tmp_path / "profile") as page:
            page.viewport(*DESKTOP)
            page.goto(f"{base}/")
            page.wait_for("location.pathname === '/login'")
            page.tab_to("token")
            page.type_text(APPROVER_TOKEN)
            page.evaluate("window.__before = true")
            page.press_enter()
            page.wait_for("window.__before === undefined && location.pathname === '/'")
            page.wait_for("document.readyState === 'complete'")
            listing = page.text()
            assert "Waiting for you" in listing and "srv-approve-me" in listing

            page.goto(f"{base}/approvals/srv-approve-me")
            page.submit_and_wait("document.querySelector('button[value=approve]').click()")
            assert "Approved srv-approve-me" in page.text()

            page.goto(f"{base}/approvals/srv-reject-me")
            page.evaluate("document.getElementById('note').value = 'not to the VIP list this week'")
            page.submit_and_wait("document.querySelector('button[value=reject]').click()")
            assert "Rejected srv-reject-me" in page.text()

            page.goto(f"{base}/approvals/{paused.approval_id}")
            _shot(page, PHONE, tmp_path, "inbox-phone.png")
            page.viewport(*DESKTOP)
            args = json.loads(page.evaluate("document.getElementById('arguments').value"))
            args["body"] = PII_BODY
            page.evaluate(f"document.getElementById('arguments').value = {json.dumps(json.dumps(args))}")
            page.submit_and_wait("document.querySelector('form[aria-label=\"Edit and approve\"]').submit()")
            refused = page.text()
            assert "guarded again and refused" in refused and "nothing ran" in refused

            page.goto(f"{base}/approvals/srv-too-late")
            assert "has expired and cannot be answered" in page.text()
            assert page.evaluate("document.querySelector('button[value=approve]')") is None

            page.goto(f"{base}/")
            expired = page.evaluate("document.getElementById('h-expired').parentElement.innerText")
            assert "srv-too-late" in expired
            answered = page.evaluate("document.getElementById('h-answered').parentElement.innerText")
            assert "srv-approve-me" in answered and "srv-reject-me" in answered and paused.approval_id in answered
            _shot(page, DESKTOP, tmp_path, "inbox-desktop.png")
            page.viewport(*PHONE, mobile=True)
            _check_layout(page, "the list at phone width")
    finally:
        inbox.terminate()
        inbox.wait(timeout=10)
    states = {a: store.with_id(a)[0] for a in ("srv-approve-me", "srv-reject-me", paused.approval_id)}
    store.close()
    assert states["srv-approve-me"].state is ApprovalState.APPROVED
    assert (states["srv-reject-me"].state, states["srv-reject-me"].note) == (
        ApprovalState.REJECTED,
        "not to the VIP list this week",
    )
    assert states[paused.approval_id].state is ApprovalState.EDITED
