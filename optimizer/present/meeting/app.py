"""`pbo serve`: the meeting page, a small Starlette app over one live model.

Why Starlette and uvicorn: the page needs a handful of JSON endpoints and static files, no
templates, ORM or sessions. Starlette is the ASGI toolkit FastAPI is built on (well kept, typed,
tested headless with its TestClient or a real browser); uvicorn is its usual server and stops
cleanly on Ctrl-C. The front end is one HTML page, one script and one style sheet, shipped
inside the package (static/), with no build step and nothing fetched from the network.

Safety:
- it listens on 127.0.0.1 unless told otherwise; on any other address it needs an access token
  (the page asks for it, and every API call carries it), and on loopback the Host header must
  be a loopback name (no DNS rebinding);
- it reads and writes only the scenario it was started on (saving a what-if into it) and sends
  outputs (the pack, the workbook) as downloads: it writes no other file;
- every value from the page becomes a `--set` change and is validated as one; a bad value is
  answered with the located message;
- requests are bounded in size (MAX_BODY) and rate (RATE per second per client, BURST at once).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pbo.models.errors import InputError, PboError
from pbo.models.io.loading import load_scenario, read_data
from pbo.optimizer.analyses.live import LiveModel
from pbo.optimizer.present.meeting.views import changes_from_controls, controls, plan_view
from pbo.optimizer.solving.highs import SolverOptions

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024
"""Largest request body, in bytes."""
RATE, BURST = 20.0, 40
"""Requests a second per client, and how many may come at once."""
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Limits:
    """ASGI middleware: a body larger than MAX_BODY is refused (413), and a client sending
    faster than RATE a second (BURST at once) is told to wait (429)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _allowed(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(BURST), now))
            tokens = min(float(BURST), tokens + (now - last) * RATE)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1.0, now)
            return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        if not self._allowed(client):
            await JSONResponse({"problems": ["too many requests: wait a moment"]},
                               status_code=429)(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await JSONResponse({"problems": [f"request too large (at most {MAX_BODY} bytes)"]},
                               status_code=413)(scope, receive, send)
            return
        seen = 0

        async def bounded() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise InputError(f"request too large (at most {MAX_BODY} bytes)")
            return message

        await self.app(scope, bounded, send)


class Meeting:
    """The state behind the page: the scenario file, its live model, the base plan."""

    def __init__(self, path: Path, options: SolverOptions | None = None,
                 token: str | None = None):
        self.path = path
        self.token = token
        self.options = options or SolverOptions()
        self.reload()

    def reload(self) -> None:
        load_scenario(self.path)  # a bad file is told with its lines, as `pbo validate` does
        data = read_data(self.path)
        self.live = LiveModel(data, self.options)
        self.checker = LiveModel(data, self.options)
        """A second loaded model for the slower question of which red lines bind, so that a
        plan is never kept waiting behind it."""
        self.generation = 0
        self.base_result = self.live.solve({}, binding=True).result

    def changes(self, page: dict[str, Any]) -> dict[str, Any]:
        return changes_from_controls(self.live.base, page)

    def view(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The plan for `changes`."""
        self.generation += 1
        solved = self.live.solve(changes, binding=False)
        out = plan_view(solved.result, solved.scenario, self.base_result.objective)
        out["changes"] = dict(changes)
        out["seconds"] = solved.seconds
        out["rebuilt"] = solved.rebuilt
        return out

    def binding_view(self, changes: dict[str, Any], generation: int) -> dict[str, Any] | None:
        """The plan with which red lines bind (a re-solve each), or None when the page has
        asked for a newer plan since (`generation`): nobody is waiting for this one."""
        def stale() -> bool:
            return generation != self.generation

        if stale():
            return None
        solved = self.checker.solve(changes, binding=True, stop=stale)
        return None if stale() else plan_view(solved.result, solved.scenario,
                                              self.base_result.objective)


def _problems(exc: PboError) -> JSONResponse:
    problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
    return JSONResponse({"problems": problems}, status_code=422)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the request is not a JSON object")
    return data


class Api:
    """The page's endpoints over one meeting."""

    def __init__(self, meeting: Meeting):
        self.meeting = meeting

    async def index(self, _: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
            "Cache-Control": "no-store"})

    async def state(self, _: Request) -> Response:
        m = self.meeting
        view = plan_view(m.base_result, m.live.base, m.base_result.objective)
        return JSONResponse({"controls": controls(m.live.base), "plan": view,
                             "file": m.path.name})

    async def solve(self, request: Request) -> Response:
        changes = self.meeting.changes(await _body(request))
        return JSONResponse(await run_in_threadpool(self.meeting.view, changes))

    async def binding(self, request: Request) -> Response:
        changes = self.meeting.changes(await _body(request))
        view = await run_in_threadpool(self.meeting.binding_view, changes,
                                       self.meeting.generation)
        if view is None:
            return JSONResponse({"stale": True}, status_code=409)
        return JSONResponse(view)

    async def save(self, request: Request) -> Response:
        from pbo.models.io.named_scenarios import save_named_scenario

        m = self.meeting
        body = await _body(request)
        changes = m.changes(body.get("controls") or {})
        await run_in_threadpool(save_named_scenario, m.path, str(body.get("name", "")),
                                changes, replace=bool(body.get("replace", False)))
        await run_in_threadpool(m.reload)
        return JSONResponse({"saved": str(body.get("name", "")).strip(),
                             "controls": controls(m.live.base)})

    async def compare(self, request: Request) -> Response:
        body = await _body(request)
        names = [str(body.get("a", "")), str(body.get("b", ""))]
        saved = self.meeting.live.base.scenarios
        missing = [n for n in names if n not in saved]
        if missing:
            raise InputError([f"scenarios: no what-if named {n!r}" for n in missing])
        views = [await run_in_threadpool(self.meeting.view, dict(saved[n])) for n in names]
        return JSONResponse({"names": names, "plans": views})

    async def alternatives(self, request: Request) -> Response:
        from pbo.optimizer.analyses.alternatives import alternatives as find

        m = self.meeting
        body = await _body(request)
        scenario = m.live.scenario(m.changes(body.get("controls") or {}))
        slack, count = float(body.get("slack", 0.02)), int(body.get("count", 4))
        found = await run_in_threadpool(lambda: find(scenario, slack=slack, count=count,
                                                     options=m.options))
        return JSONResponse({"message": found.message, "alternatives": [
            {"label": a.label, "objective": plan_view(a.result, scenario, found.best.objective)}
            for a in found.alternatives]})

    async def download(self, request: Request) -> Response:
        m = self.meeting
        kind = request.path_params["kind"]
        if kind not in ("pack", "workbook"):
            raise InputError(f"download: unknown kind {kind!r} (pack or workbook)")
        solved = await run_in_threadpool(m.live.solve, m.changes(await _body(request)))
        if kind == "pack":
            from pbo.optimizer.present.pack import decision_pack

            page = await run_in_threadpool(decision_pack, solved.result, solved.scenario)
            return Response(page, media_type="text/html", headers={
                "Content-Disposition": f'attachment; filename="{m.path.stem}_pack.html"'})
        data = await run_in_threadpool(_workbook_bytes, solved.result)
        return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet", headers={
                            "Content-Disposition":
                            f'attachment; filename="{m.path.stem}_result.xlsx"'})

    def guarded(self, handler: Callable[[Request], Awaitable[Response]]
                ) -> Callable[[Request], Awaitable[Response]]:
        """`handler` behind the token (when there is one), its PboErrors as messages."""
        async def endpoint(request: Request) -> Response:
            token = self.meeting.token
            if token is not None:
                given = request.headers.get("x-pbo-token", "")
                if not hmac.compare_digest(given.encode(), token.encode()):
                    return JSONResponse({"problems": ["an access token is needed"],
                                         "token_required": True}, status_code=401)
            try:
                return await handler(request)
            except PboError as exc:
                return _problems(exc)
        return endpoint


def create_app(meeting: Meeting, *, loopback: bool = True) -> ASGIApp:
    """The ASGI app for `meeting` (loopback: accept only loopback Host names)."""
    api = Api(meeting)
    post = ["POST"]
    routes = [
        Route("/", api.index),
        Route("/api/state", api.guarded(api.state)),
        Route("/api/solve", api.guarded(api.solve), methods=post),
        Route("/api/binding", api.guarded(api.binding), methods=post),
        Route("/api/save", api.guarded(api.save), methods=post),
        Route("/api/compare", api.guarded(api.compare), methods=post),
        Route("/api/alternatives", api.guarded(api.alternatives), methods=post),
        Route("/api/download/{kind}", api.guarded(api.download), methods=post),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_NAMES)] \
        if loopback else []
    return Limits(Starlette(routes=routes, middleware=middleware))


def _workbook_bytes(result: Any) -> bytes:
    """The results workbook for `result`, in memory (the page downloads it; nothing is
    written beside the scenario)."""
    import tempfile

    from pbo.models.io.results_workbook import write_results_workbook

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.xlsx"
        write_results_workbook(path, result)
        return path.read_bytes()


def serve(path: Path, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          options: SolverOptions | None = None,
          announce: Callable[[str], None] = print) -> None:
    """Solve `path`, then serve its meeting page until Ctrl-C. On an address other than
    loopback a token is required (InputError without one)."""
    import socket

    import uvicorn

    loopback = host in LOOPBACK_NAMES or host.startswith("127.")
    if not loopback and not token:
        raise InputError(f"--host {host}: listening beyond this machine needs an access "
                         "token (--token, or PBO_TOKEN), which the page asks for")
    meeting = Meeting(path, options, token if not loopback or token else None)
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise InputError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror})"
                         ) from None
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    announce(f"pbo meeting page for {path.name}: http://{shown}:{bound}/ (Ctrl-C stops it)")
    config = uvicorn.Config(create_app(meeting, loopback=loopback), log_level="warning",
                            access_log=False, lifespan="off")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops gracefully, then re-raises
        uvicorn.Server(config).run(sockets=[sock])
