"""`cadencia inbox` as a Starlette app: server-rendered pages, no JavaScript, every answer behind a token login.

Pages: the list (pending, answered, expired), one approval at its stable `/approvals/<id>` address (what URL-mode
elicitation and notifications link to) with approve / edit / reject forms, a run's audit timeline and a record's
inclusion proof. Every response is `no-store` with strict security headers; every POST must come from this origin
(Origin or Referer) and carry the session's CSRF token; a Host header other than the bound ones is refused.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from mcp.server.auth.provider import TokenVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from cadencia.agents.inbox.answer import InboxRefusal, Outcome, answer_graph, answer_server
from cadencia.agents.inbox.sessions import COOKIE, InboxSession, LoginRefused, Sessions
from cadencia.agents.inbox.views import ApprovalView, Shelf, approval_view
from cadencia.agents.workdir import Workdir
from cadencia.tools.approvals import ApprovalStore
from cadencia.tools.approvals.links import approval_url
from cadencia.tools.audit import KEY_FILENAME, AuditLog
from cadencia.tools.audit.errors import AuditError

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
LIST_LIMIT = 200


@dataclass
class InboxConfig:
    """What one inbox process serves: whose approvals, who may log in, which Host/Origin values are its own."""

    workdir: Workdir
    approvals: ApprovalStore
    verifier: TokenVerifier
    allowed_hosts: list[str]
    allowed_origins: list[str]
    secure_cookies: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class SecurityHeaders:
    """Host check on every request, Origin/Referer check on every POST, security headers on every response."""

    def __init__(self, app: ASGIApp, *, hosts: list[str], origins: list[str]) -> None:
        self.app = app
        self.hosts = set(hosts)
        self.origins = set(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope["method"], headers)
        if refusal is not None:
            await _secured(PlainTextResponse(refusal, status_code=400 if "Host" in refusal else 403))(
                scope, receive, send
            )
            return

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_secured)

    def _refusal(self, method: str, headers: dict[str, str]) -> str | None:
        if headers.get("host") not in self.hosts:
            return "Host header not accepted by this inbox (add it with --allowed-host)"
        if method in ("GET", "HEAD"):
            return None
        origin = headers.get("origin")
        if origin is None and "referer" in headers:
            parts = urlsplit(headers["referer"])
            origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.origins:
            return "cross-origin request refused: the inbox accepts forms from its own pages only"
        return None


def _secured(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def _summary(payload: dict[str, Any]) -> str:
    """One line of an audit record for the timeline: tool, decision, status, event, in that order of interest."""
    parts = []
    for key in ("event", "tool", "decision", "status", "approver", "reversibility", "ok", "error"):
        if key in payload and payload[key] not in (None, ""):
            parts.append(f"{key}: {payload[key]}")
    return "; ".join(parts)[:300]


class Inbox:
    """The pages and their handlers over one config."""

    def __init__(self, config: InboxConfig) -> None:
        self.config = config
        self.sessions = Sessions(config.verifier)
        self.flashes: dict[str, Outcome] = {}
        self.run_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        """One answer at a time per run: the run index only fences off other processes, not this one's requests."""
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # plumbing -------------------------------------------------------------------------------------------------

    def render(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.templates.get_template(name).render(**values)
        return HTMLResponse(html, status_code=status)

    def session(self, request: Request) -> InboxSession | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def to_login(self, request: Request) -> RedirectResponse:
        target = request.url.path if request.url.path != "/" else ""
        return RedirectResponse(f"/login?next={quote(target)}" if target else "/login", status_code=303)

    def now(self) -> datetime:
        return self.config.clock()

    def views(self) -> list[ApprovalView]:
        now = self.now()
        return [approval_view(r, now) for r in self.config.approvals.latest(limit=LIST_LIMIT)]

    def find(self, approval_id: str) -> ApprovalView | None:
        records = self.config.approvals.with_id(approval_id)
        return approval_view(records[-1], self.now()) if records else None

    # pages ----------------------------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        """For load balancers and service managers: the process answers (no login, nothing about approvals)."""
        return PlainTextResponse("ok")

    async def css(self, request: Request) -> Response:
        return Response((HERE / "static" / "inbox.css").read_text(encoding="utf-8"), media_type="text/css")

    async def login_page(self, request: Request) -> Response:
        return self.render("login.html.j2", next=_safe_next(request.query_params.get("next")), error=None)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        target = _safe_next(str(form.get("next") or ""))
        try:
            session_id, _ = await self.sessions.login(str(form.get("token") or ""))
        except LoginRefused as exc:
            return self.render("login.html.j2", status=401, next=target, error=str(exc))
        response = RedirectResponse(target or "/", status_code=303)
        response.set_cookie(
            COOKIE,
            session_id,
            httponly=True,
            samesite="strict",
            secure=self.config.secure_cookies,
            path="/",
            max_age=int(self.sessions.lifetime.total_seconds()),
        )
        return response

    async def logout(self, request: Request) -> Response:
        session = self.session(request)
        form = await request.form()
        if session is not None and session.csrf_ok(str(form.get("csrf") or "")):
            self.sessions.logout(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def index(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return self.to_login(request)
        views = self.views()
        shelves = {shelf: [v for v in views if v.shelf is shelf] for shelf in Shelf}
        return self.render("list.html.j2", session=session, shelves=shelves, flash=self.flashes.pop(session.csrf, None))

    async def approval(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return self.to_login(request)
        approval_id = request.path_params["approval_id"]
        view = self.find(approval_id)
        if view is None:
            return self.render("missing.html.j2", status=404, session=session, what=f"approval {approval_id}")
        return self.render(
            "approval.html.j2",
            session=session,
            a=view,
            flash=self.flashes.pop(session.csrf, None),
            own=view.subject is not None and view.subject == session.subject,
        )

    async def answer(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return PlainTextResponse("log in first", status_code=401)
        form = await request.form()
        if not session.csrf_ok(str(form.get("csrf") or "")):
            return _secured(PlainTextResponse("the form's CSRF token is missing or stale; reload the page", 403))
        approval_id = request.path_params["approval_id"]
        view = self.find(approval_id)
        if view is None:
            return self.render("missing.html.j2", status=404, session=session, what=f"approval {approval_id}")
        decision = str(form.get("decision") or "")
        note = str(form.get("note") or "")[:500]
        try:
            if view.kind == "server":
                records = self.config.approvals.with_id(approval_id)
                outcome = answer_server(
                    self.config.approvals, records[-1], decision=decision, subject=session.subject, note=note
                )
            else:
                async with self.run_locks[view.run_id or ""]:
                    outcome = await answer_graph(
                        self.config.workdir,
                        approval_id,
                        decision=decision,
                        request_hash=str(form.get("request_hash") or ""),
                        subject=session.subject,
                        note=note,
                        edited_text=str(form.get("arguments") or "") if decision == "edit" else None,
                    )
        except InboxRefusal as exc:
            outcome = Outcome(f"Not sent: {exc}", refused=True)
        self.flashes[session.csrf] = outcome
        return RedirectResponse(approval_url("", approval_id), status_code=303)

    async def run(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return self.to_login(request)
        run_id = request.path_params["run_id"]
        records = self._audit(lambda log: log.records(run_id=run_id))
        if records is None:
            return self.render("missing.html.j2", status=404, session=session, what=f"an audit log for {run_id}")
        rows = [
            {
                "seq": r.seq,
                "at": r.recorded_at,
                "actor": r.actor,
                "kind": r.kind.value,
                "summary": _summary(r.payload),
            }
            for r in records
        ]
        approvals = [v for v in self.views() if v.run_id == run_id]
        return self.render("run.html.j2", session=session, run_id=run_id, rows=rows, approvals=approvals)

    async def proof(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return self.to_login(request)
        seq = int(request.path_params["seq"])

        def prove(log: AuditLog) -> tuple[str, bool, str]:
            proof = log.prove(seq)
            following = log.iter_records(since_seq=seq - 1)
            record = next(following, None)
            following.close()
            return proof.model_dump_json(indent=2), log.verify_inclusion(proof), record.run_id if record else ""

        try:
            found = self._audit(prove)
        except AuditError as exc:
            return self.render("missing.html.j2", status=404, session=session, what=f"record {seq} ({exc})")
        if found is None:
            return self.render("missing.html.j2", status=404, session=session, what="an audit log")
        proof, verified, run_id = found
        return self.render("proof.html.j2", session=session, seq=seq, proof=proof, verified=verified, run_id=run_id)

    def _audit(self, read: Callable[[AuditLog], Any]) -> Any:
        """Read the workdir's audit log (None when there is none yet); opened per request, never creating a key."""
        where = self.config.workdir
        if "://" not in where.audit and not Path(where.audit).exists():
            return None
        log = AuditLog.open(where.audit, key_path=where.root / KEY_FILENAME, create_key=False)
        try:
            return read(log)
        finally:
            log.engine.dispose()


def _safe_next(target: str | None) -> str:
    """Only a local path after login (never another site: an open redirect would leak the session's purpose)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target


def inbox_app(config: InboxConfig) -> ASGIApp:
    """The inbox as an ASGI app (security middleware outermost)."""
    inbox = Inbox(config)

    app = Starlette(
        routes=[
            Route("/", inbox.index, methods=["GET"]),
            Route("/static/inbox.css", inbox.css, methods=["GET"]),
            Route("/healthz", inbox.health, methods=["GET"]),
            Route("/login", inbox.login_page, methods=["GET"]),
            Route("/login", inbox.login, methods=["POST"]),
            Route("/logout", inbox.logout, methods=["POST"]),
            Route("/approvals/{approval_id:path}", inbox.approval, methods=["GET"]),
            Route("/approvals/{approval_id:path}", inbox.answer, methods=["POST"]),
            Route("/runs/{run_id}", inbox.run, methods=["GET"]),
            Route("/audit/{seq:int}/proof", inbox.proof, methods=["GET"]),
        ]
    )
    app.state.inbox = inbox
    return SecurityHeaders(app, hosts=config.allowed_hosts, origins=config.allowed_origins)
