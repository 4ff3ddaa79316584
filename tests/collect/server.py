"""One local HTTP server on 127.0.0.1 for every collect test, and a virtual clock.

:class:`LocalServer` answers from a thread. A request is matched, in this order, by:

1. a queued fault (:meth:`LocalServer.fail_next`) whose path prefix it starts with;
2. a handler (a function of path and parameters) registered for a path prefix;
3. a route for its exact target, path and query unquoted (:meth:`LocalServer.route`);
4. a route for its method and path (trailing slash ignored, ``*`` a prefix) whose named
   query or form parameters all match (:meth:`LocalServer.add`); the most specific wins;
5. otherwise :attr:`LocalServer.fallback`.

Each route answers its replies in order, the last one repeating. A reply can be delayed
(to cause client timeouts) or truncated (a Content-Length longer than the body it sends).
Every request is logged as a :class:`Hit`, stamped by :attr:`LocalServer.clock`; tests of
politeness stamp with a :class:`VirtualClock` shared with the client, so gaps between
requests are exact and do not depend on the machine's load.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from earwitness.collect._http import HttpxTransport

Handler = Callable[[str, Mapping[str, str]], "Reply | None"]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering (for timeouts)
    truncate: bool = False  # announce more than is sent, then close

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Hit:
    method: str
    path: str  # with its query, unquoted
    headers: dict[str, str]
    at: float
    status: int = 0


@dataclass
class _Route:
    method: str
    path: str
    match: dict[str, str]
    replies: list[Reply]

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


class VirtualClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class LocalServer:
    """A threaded HTTP server with scripted replies and a log of every request."""

    def __init__(self) -> None:
        self.targets: dict[str, _Route] = {}
        self.routes: list[_Route] = []
        self.handlers: list[tuple[str, Handler]] = []
        self.faults: deque[tuple[str, Reply]] = deque()
        self.hits: list[Hit] = []
        self.fallback: Reply = Reply(404, b"not found", {"Content-Type": "text/plain"})
        self.clock: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- registering replies ---------------------------------------------------------

    def route(self, target: str, *replies: Reply) -> None:
        """Answer GET ``target`` (path and query, unquoted) with ``replies`` in order."""
        with self._lock:
            self.targets[target] = _Route("GET", target, {}, list(replies))

    def serve_file(self, target: str, file: Path, content_type: str) -> None:
        self.route(target, Reply(body=file.read_bytes(), headers={"Content-Type": content_type}))

    def add(self, method: str, path: str, reply: Reply, **match: str) -> None:
        """Serve ``reply``; a path ending in ``*`` matches every path with that prefix."""
        self.routes.append(_Route(method.upper(), _norm(path), match, [reply]))

    def add_json(self, method: str, path: str, payload: Any, **match: str) -> None:
        body = json.dumps(payload).encode()
        self.add(method, path, Reply(200, body, {"Content-Type": "application/json"}), **match)

    def fail_next(self, path_prefix: str, *replies: Reply) -> None:
        """Serve these replies, in order, to the next requests whose path starts so."""
        with self._lock:
            self.faults.extend((path_prefix, reply) for reply in replies)

    # --- the log ---------------------------------------------------------------------

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def requests_to(self, path_prefix: str) -> int:
        return sum(1 for hit in self.hits if hit.path.startswith(path_prefix))

    # --- answering -------------------------------------------------------------------

    def choose(self, method: str, target: str, params: Mapping[str, str]) -> Reply:
        path = urlsplit(target).path
        with self._lock:
            if self.faults and path.startswith(self.faults[0][0]):
                return self.faults.popleft()[1]
            exact = self.targets.get(target) if method == "GET" else None
            if exact is not None:
                return exact.next_reply()
        for prefix, handler in self.handlers:
            if path.startswith(prefix) and (reply := handler(path, params)) is not None:
                return reply
        best = self._best_route(method, path, params)
        return best.next_reply() if best else self.fallback

    def _best_route(self, method: str, path: str, params: Mapping[str, str]) -> _Route | None:
        best: _Route | None = None
        for route in self.routes:
            if route.method != method:
                continue
            if route.path.endswith("*"):
                if not path.startswith(route.path[:-1]):
                    continue
            elif route.path != _norm(path):
                continue
            matches = all(params.get(k) == v for k, v in route.match.items())
            if matches and (best is None or len(route.match) > len(best.match)):
                best = route
        return best

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _serve(self) -> None:
                target = unquote(self.path)
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update(parse_qsl(self.rfile.read(length).decode(), True))
                hit = Hit(self.command, target, dict(self.headers.items()), server.clock())
                reply = server.choose(self.command, target, params)
                hit.status = reply.status
                with server._lock:
                    server.hits.append(hit)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                data = reply.data
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    length = len(data) + (500 if reply.truncate else 0)
                    self.send_header("Content-Length", str(length))
                    if reply.truncate:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if reply.truncate:
                    self.close_connection = True

            do_GET = do_POST = _serve

        return Handler


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs, nothing uncommitted survives."""


class CrashingTransport(HttpxTransport):
    """A real transport that dies, like a killed process, after ``after`` requests."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.left = after

    def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def, override]
        if self.left == 0:
            raise Crash
        self.left -= 1
        return super().get(url, **kw)  # type: ignore[arg-type]
