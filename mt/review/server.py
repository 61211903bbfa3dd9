"""Local review server: accept, reject or edit corpus rows; decisions persist in
``OUTPUT_DIR/review.sqlite`` (the corpus files are never modified).

Routes (no route takes a file path; row ids are looked up in the loaded corpus):

``GET  /``               the review page (``?row=ID`` opens it searched to that row; unknown id -> 400)
``GET  /rows/{id}``      one row and its decision as JSON (unknown id -> 404)
``POST /rows/{id}``      ``{"action": "accept"|"reject"|"edit", "text": str, "version": int}``
``POST /undo/{id}``      ``{"version": int}``: take back the row's last change (409 when it changed meanwhile)
``POST /export``         ``{"drop_rejected": bool}``: write ``OUTPUT_DIR/reviewed`` (as ``mt review export``)

Security: binds to 127.0.0.1 unless told otherwise (non-loopback needs ``allow_remote``);
the Host header must name an allowed host (DNS rebinding); POSTs need the per-server
CSRF token (header ``X-CSRF-Token``, compared in constant time) and, when the browser
sends one, an Origin equal to the server's own; bodies over 64 KiB -> 413.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError, MtError, ServerError
from ..registry import require
from .corpus import Corpus, load_corpus
from .flags import DEFAULT, FlagConfig, flag_details
from .report import TEMPLATE, TEMPLATES, page_data, script_json, template_context
from .store import ACTIONS, DB_FILE, Conflict, DecisionStore

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_ID = 512
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
CSRF_HEADER = "x-csrf-token"


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower().rstrip(".")
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool) -> None:
    """ConfigError unless ``host`` is loopback or remote access was asked for explicitly."""
    if not host or not host.strip():
        raise ConfigError("empty --host", where="review serve --host",
                          fix="use --host 127.0.0.1 (the default)")
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(
            f"refusing to bind the review server to non-loopback host '{host}': anyone who can reach "
            "it could change the review decisions",
            where="review serve --host",
            fix="leave --host at 127.0.0.1, or add --allow-remote if you really want other machines to reach it",
        )


def _host_name(value: str) -> str | None:
    try:
        return urlsplit("//" + value).hostname
    except ValueError:
        return None


def _error(status: int, message: str, **extra: Any):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message, **extra}, status_code=status)


def _origin_ok(request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True   # non-browser client; the CSRF token still has to match
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    return hmac.compare_digest(origin.lower().encode(), own.encode())


def _version(payload: dict[str, Any]) -> int | None:
    """The ``version`` of a POST body (default 0), None when it is not a non-negative integer."""
    version = payload.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        return None
    return version


def _client(request) -> str | None:
    return request.client.host if request.client else None


class ReviewServer:
    """The routes of the review server over one OUTPUT_DIR (see the module docstring)."""

    def __init__(self, output_dir: Path, *, csrf_token: str | None, flag_config: FlagConfig | None):
        from starlette.templating import Jinja2Templates

        self.output_dir = Path(output_dir)
        self.config = flag_config or DEFAULT
        self.corpus: Corpus = load_corpus(self.output_dir)
        self.store = DecisionStore(self.output_dir / DB_FILE)
        self.token = csrf_token or secrets.token_urlsafe(32)
        self.caption_ids = {c["id"] for c in self.corpus.captions}
        data = page_data(self.corpus, self.config, mode="server")
        self.n_rows = len(data["rows"])
        self.base_json = script_json(data)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))

    def known_row(self, row_id: str) -> dict[str, Any] | None:
        if not row_id or len(row_id) > MAX_ID:
            return None
        return self.corpus.by_id.get(row_id)

    async def page(self, request):
        focus = request.query_params.get("row")
        if focus is not None and self.known_row(focus) is None and focus not in self.caption_ids:
            return _error(400, "unknown row id in ?row=")
        decisions = {k: v.public() for k, v in self.store.all().items() if k in self.corpus.by_id}
        extra = {"decisions": decisions, "csrf": self.token}
        if focus:
            extra["focus"] = focus
        data_json = self.base_json[:-1] + "," + script_json(extra)[1:]
        nonce = secrets.token_urlsafe(16)
        ctx = template_context(self.corpus, data_json, server=True, n_rows=self.n_rows, csrf=self.token,
                               nonce=nonce, config=self.config)
        response = self.templates.TemplateResponse(request, TEMPLATE, ctx)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        return response

    async def get_row(self, request):
        from starlette.responses import JSONResponse

        row_id = request.path_params["row_id"]
        row = self.known_row(row_id)
        if row is None:
            return _error(404, "no such row")
        decision = self.store.get(row_id)
        return JSONResponse({"row": row, "flags": flag_details(row, self.config),
                             "decision": decision.public() if decision else None})

    async def read_post(self, request) -> tuple[dict[str, Any] | None, Any]:
        """The JSON object body of a POST after the origin, CSRF and size checks; or the error response."""
        if not _origin_ok(request):
            return None, _error(403, "cross-origin request refused")
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), self.token.encode()):
            return None, _error(403, "missing or wrong CSRF token; reload the page")
        length = request.headers.get("content-length")
        if length is not None and not length.isdigit():
            return None, _error(400, "bad Content-Length")
        if length is not None and int(length) > MAX_BODY:
            return None, _error(413, f"request body over {MAX_BODY} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY:
                return None, _error(413, f"request body over {MAX_BODY} bytes")
        try:
            payload = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, _error(400, "body must be JSON")
        if not isinstance(payload, dict):
            return None, _error(400, "body must be a JSON object")
        return payload, None

    async def read_row_post(self, request) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None, Any]:
        """(row id, row, JSON body, error response) of a POST about one writable corpus row."""
        payload, refused = await self.read_post(request)
        row_id = request.path_params["row_id"]
        row = self.known_row(row_id)
        if refused is None and row is None:
            refused = _error(404, "no such row" + (" (caption lines are read-only)"
                                                   if row_id in self.caption_ids else ""))
        return row_id, row, payload, refused

    async def post_row(self, request):
        from starlette.responses import JSONResponse

        row_id, row, payload, refused = await self.read_row_post(request)
        if refused is not None:
            return refused
        action, version = payload.get("action"), _version(payload)
        if action not in ACTIONS:
            return _error(400, f"action must be one of {', '.join(ACTIONS)}")
        if version is None:
            return _error(400, "version must be a non-negative integer")
        text = None
        if action == "edit":
            text = payload.get("text")
            if not isinstance(text, str) or not text.strip():
                return _error(400, "an edit needs a non-empty 'text'")
            text = text.strip()
        seen = {f"{k}_seen": row.get(k) if isinstance(row.get(k), str) else None for k in ("th", "en")}
        try:
            decision = self.store.decide(row_id, ACTIONS[action], expected_version=version, edited=text,
                                         client=_client(request), **seen)
        except Conflict as exc:
            return _error(409, str(exc), current=exc.current.public() if exc.current else None)
        log.info("row %s -> %s (version %d)", row_id, decision.status, decision.version)
        return JSONResponse({"ok": True, "decision": decision.public()})

    async def post_undo(self, request):
        from starlette.responses import JSONResponse

        row_id, _, payload, refused = await self.read_row_post(request)
        if refused is not None:
            return refused
        version = _version(payload)
        if version is None:
            return _error(400, "version must be a non-negative integer")
        try:
            decision = self.store.undo(row_id, expected_version=version, client=_client(request))
        except Conflict as exc:
            return _error(409, str(exc), current=exc.current.public() if exc.current else None)
        log.info("row %s: last change undone -> %s", row_id, decision.status if decision else "unreviewed")
        return JSONResponse({"ok": True, "decision": decision.public() if decision else None})

    async def post_export(self, request):
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        from .exporter import EXPORT_DIR, export
        from .filters import ExportFilters

        payload, refused = await self.read_post(request)
        if refused is not None:
            return refused
        filters = ExportFilters(drop_rejected=payload.get("drop_rejected") is True)
        try:
            target = await run_in_threadpool(export, self.output_dir, None, filters)
        except MtError as exc:
            return _error(500, str(exc))
        summary = json.loads((target / "export.json").read_text(encoding="utf-8"))
        return JSONResponse({"ok": True, "dir": f"{self.output_dir.name}/{EXPORT_DIR}", "rows": summary["rows"],
                             "dropped": summary["dropped"], "reviewed": summary["reviewed"]})


class Guard:
    """ASGI wrapper: the Host check (DNS rebinding) and security headers for every request."""

    HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
               (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]

    def __init__(self, app, hosts: set[str], allow_any_host: bool):
        self.app = app
        self.state = app.state
        self.hosts = hosts
        self.allow_any_host = allow_any_host

    def host_ok(self, request) -> bool:
        name = _host_name(request.headers.get("host", ""))
        if not name:
            return False
        return self.allow_any_host or name.lower() in self.hosts

    async def __call__(self, scope, receive, send):
        from starlette.requests import Request

        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if not self.host_ok(Request(scope)):
            response = _error(403, "unexpected Host header; open the review page via http://127.0.0.1")
            return await response(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + self.HEADERS}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_app(output_dir: Path, *, allowed_hosts: set[str] | None = None,
               allow_any_host: bool = False, csrf_token: str | None = None,
               flag_config: FlagConfig | None = None):
    """The Starlette app of the review server (also used by tests).

    ``allowed_hosts``: host names accepted in the Host header (default: loopback names);
    ``allow_any_host`` (remote serving): accept any Host, Origin must still match it.
    """
    require("starlette", "the review server")
    from starlette.applications import Starlette
    from starlette.routing import Route

    server = ReviewServer(output_dir, csrf_token=csrf_token, flag_config=flag_config)
    app = Starlette(routes=[
        Route("/", server.page, methods=["GET"]),
        Route("/rows/{row_id:path}", server.get_row, methods=["GET"]),
        Route("/rows/{row_id:path}", server.post_row, methods=["POST"]),
        Route("/undo/{row_id:path}", server.post_undo, methods=["POST"]),
        Route("/export", server.post_export, methods=["POST"]),
    ])
    app.state.store = server.store
    app.state.corpus = server.corpus
    app.state.csrf_token = server.token
    return Guard(app, {h.lower() for h in (allowed_hosts or LOOPBACK_NAMES)}, allow_any_host)


def check_port_free(host: str, port: int) -> None:
    """Fail with exit 6 and the fix when ``host:port`` cannot be bound (uvicorn would only log and exit 1)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror}", where="review serve --port",
                              fix="another program uses that port: pass --port N (any free port)") from None


def serve(output_dir: Path, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False) -> None:
    """Run the review server until interrupted (blocking)."""
    check_bind(host, allow_remote)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"invalid port {port!r}", where="review serve --port", fix="use a port in 1-65535")
    uvicorn = require("uvicorn", "the review server")
    remote = not is_loopback(host)
    if remote:
        log.warning("review server reachable from other machines on %s:%d; it has no login", host, port)
    app = create_app(output_dir, allow_any_host=remote,
                     allowed_hosts=set(LOOPBACK_NAMES) | {host.strip("[]").lower()})
    check_port_free(host, port)
    log.info("review server for %s on http://%s:%d/", output_dir, host if ":" not in host else f"[{host}]", port)
    uvicorn.run(app, host=host, port=port, log_level="info")
