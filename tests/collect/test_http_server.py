"""A real HTTP server on 127.0.0.1 for the forum tests, and a check that it behaves.

Tests give it routes: each path (with its query, unquoted) answers a list of
:class:`Reply` objects in order, the last one repeating. A reply can be delayed (to
cause client timeouts) or truncated (a Content-Length longer than the body it sends).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from earwitness.collect._http import HttpxTransport


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate: bool = False

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


class LocalServer:
    """A threaded HTTP server with scripted replies and a log of every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.fallback: Callable[[str], Reply | None] | None = None
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def serve_file(self, path: str, file: Path, content_type: str) -> None:
        self.route(path, Reply(body=file.read_bytes(), headers={"Content-Type": content_type}))

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply(self, path: str) -> Reply:
        with self._lock:
            replies = self.routes.get(path)
            if replies:
                return replies.pop(0) if len(replies) > 1 else replies[0]
        found = self.fallback(path) if self.fallback else None
        return found or Reply(404, b"not found", {"Content-Type": "text/plain"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = unquote(self.path)
                with server._lock:
                    server.hits.append(Hit(path, dict(self.headers.items()), time.monotonic()))
                reply = server._reply(path)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
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

            def log_message(self, *_args: object) -> None:
                pass

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


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    yield server
    server.stop()


def test_local_server_replies_in_order_and_logs(local_server: LocalServer) -> None:
    local_server.route("/a?x=[1]", Reply(500, "first"), Reply(200, "then"))
    replies = [httpx.get(local_server.url + "/a?x=%5B1%5D").text for _ in range(3)]
    assert replies == ["first", "then", "then"]
    assert httpx.get(local_server.url + "/missing").status_code == 404
    assert local_server.paths() == ["/a?x=[1]"] * 3 + ["/missing"]


def test_local_server_truncates_when_asked(local_server: LocalServer) -> None:
    local_server.route("/t", Reply(body="short", truncate=True))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(local_server.url + "/t")
