"""Local HTTP servers for collect tests: recorded Reddit responses, hand-written faults.

:class:`LocalServer` serves routes on 127.0.0.1 from a thread. Routes match on method,
path (trailing slash ignored) and the query or form parameters a route names; faults
queued with :meth:`LocalServer.fail_next` are served before the route. Engineer B's
forum tests may use it too.

:class:`RedditCassettes` loads PRAW's vcrpy cassettes from ``../shared/fixtures/reddit``
into a server, and :func:`praw_env` points real PRAW at it the standard way: a praw.ini
found through ``XDG_CONFIG_HOME`` whose ``oauth_url`` and ``reddit_url`` name the server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

# Credentials used only against the local server; the privacy tests look for them.
TEST_CLIENT_ID = "ew-test-client-id"
TEST_CLIENT_SECRET = "ew-test-client-secret-DO-NOT-LEAK"
TEST_ACCESS_TOKEN = "ew-test-access-token-DO-NOT-LEAK"


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0  # sleep before answering (for timeouts)
    truncate: bool = False  # announce the full length, send half, close


@dataclass
class Route:
    method: str
    path: str
    match: dict[str, str]
    reply: Reply


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


class LocalServer:
    """An HTTP server on 127.0.0.1 serving registered routes and queued faults."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.handlers: list[tuple[str, Callable[[str, Mapping[str, str]], Reply | None]]] = []
        self.faults: deque[tuple[str, Reply]] = deque()
        self.log: list[tuple[str, str, int]] = []
        self.fallback: Reply = Reply(404, {"Content-Type": "application/json"}, b'{"error": 404}')
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, method: str, path: str, reply: Reply, **match: str) -> None:
        """Serve ``reply``; a path ending in ``*`` matches every path with that prefix."""
        self.routes.append(Route(method.upper(), _norm(path), match, reply))

    def add_json(self, method: str, path: str, payload: Any, **match: str) -> None:
        body = json.dumps(payload).encode()
        self.add(method, path, Reply(200, {"Content-Type": "application/json"}, body), **match)

    def fail_next(self, path_prefix: str, *replies: Reply) -> None:
        """Serve these replies, in order, to the next requests whose path starts so."""
        with self._lock:
            self.faults.extend((path_prefix, reply) for reply in replies)

    def requests_to(self, path_prefix: str) -> int:
        return sum(1 for _m, path, _s in self.log if path.startswith(path_prefix))

    def choose(self, method: str, path: str, params: Mapping[str, str]) -> Reply:
        with self._lock:
            if self.faults and path.startswith(self.faults[0][0]):
                return self.faults.popleft()[1]
        for prefix, handler in self.handlers:
            if path.startswith(prefix) and (reply := handler(path, params)) is not None:
                return reply
        best: Route | None = None
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
        return best.reply if best else self.fallback

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update(parse_qsl(self.rfile.read(length).decode(), True))
                reply = server.choose(self.command, parts.path, params)
                with server._lock:
                    server.log.append((self.command, parts.path, reply.status))
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.truncate:
                    self.send_header("Connection", "close")
                self.end_headers()
                body = reply.body[: len(reply.body) // 2] if reply.truncate else reply.body
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if reply.truncate:
                    self.close_connection = True

            do_GET = do_POST = _serve

        return Handler


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    yield server
    server.stop()


# --- Reddit ---------------------------------------------------------------------------

_SKIPPED_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}
# Matched exactly; other parameters (limit, raw_json, sort, syntax...) are ignored.
_MATCHED_PARAMS = ("after", "before", "q", "children", "id")


def _body_text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("string") or "")
    return str(body or "")


class RedditCassettes:
    """Serves PRAW's recorded Reddit responses from a :class:`LocalServer`."""

    def __init__(self, server: LocalServer, folder: Path) -> None:
        self.server = server
        self.folder = folder
        server.add_json(
            "POST",
            "/api/v1/access_token",
            {
                "access_token": TEST_ACCESS_TOKEN,
                "token_type": "bearer",
                "expires_in": 3600,
                "scope": "*",
            },
        )
        # Reddit answers a "more" request for children it has no more of with no things.
        server.add_json(
            "POST", "/api/morechildren", {"json": {"errors": [], "data": {"things": []}}}
        )

    def load(self, name: str, *, remap: Mapping[str, str] | None = None) -> list[str]:
        """Serve a cassette's responses; ``remap`` moves paths (old prefix -> new)."""
        data = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
        paths = []
        for interaction in data["interactions"]:
            request, response = interaction["request"], interaction["response"]
            parts = urlsplit(request["uri"])
            if parts.path.startswith("/api/v1/access_token"):
                continue
            path = parts.path
            for old, new in (remap or {}).items():
                if _norm(path) == _norm(old):
                    path = new
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            if request.get("body"):
                params.update(parse_qsl(_body_text(request["body"]), True))
            match = {k: params[k] for k in _MATCHED_PARAMS if k in params}
            headers = {
                name: values[0] if isinstance(values, list) else str(values)
                for name, values in response["headers"].items()
                if name.lower() not in _SKIPPED_HEADERS
                and not name.lower().startswith("x-ratelimit")
            }
            body = _body_text(response["body"]).encode("utf-8")
            self.server.add(
                request["method"], path, Reply(response["status"]["code"], headers, body), **match
            )
            paths.append(path)
        return paths


def write_praw_ini(
    folder: Path, server_url: str, *, site: str = "DEFAULT", timeout: int = 3
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "praw.ini"
    path.write_text(
        f"[{site}]\n"
        f"client_id={TEST_CLIENT_ID}\n"
        f"client_secret={TEST_CLIENT_SECRET}\n"
        f"oauth_url={server_url}\n"
        f"reddit_url={server_url}\n"
        f"user_agent=earwitness-tests/0.1 (by the earwitness test suite)\n"
        f"timeout={timeout}\n"
        "check_for_updates=False\n"
    )
    return path


@pytest.fixture
def reddit_server(
    local_server: LocalServer, shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RedditCassettes:
    """Recorded Reddit on 127.0.0.1, with PRAW configured to use it via XDG_CONFIG_HOME."""
    config = tmp_path / "xdg"
    write_praw_ini(config, local_server.url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("PRAW_ALLOW_ENDPOINT_OVERRIDE", "1")
    for name in ("praw_client_id", "praw_client_secret", "praw_site"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # a praw.ini in the working folder would win
    return RedditCassettes(local_server, shared_dir / "fixtures" / "reddit")
