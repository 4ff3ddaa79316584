"""Slow, idle and too many clients, over real sockets against a real uvicorn server.

The server runs with timeouts of about a second (settings make them configurable), so
every test here ends in a few seconds; every loop is bounded.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from earwitness.analysis.listening import create_test, new_session
from earwitness.analysis.listening._limits import ServerLimits
from earwitness.analysis.listening._protocol import server_config

LIMITS = dataclasses.replace(
    ServerLimits.from_settings(),
    header_timeout_s=1.0,
    body_timeout_s=1.0,
    keep_alive_s=1.0,
    max_connections=1_100,
)
FEW = dataclasses.replace(LIMITS, max_connections=40)


@pytest.fixture
def live(audio_study, request) -> Iterator[tuple[tuple[str, int], str]]:
    import uvicorn

    limits = getattr(request, "param", LIMITS)
    study, store = audio_study
    create_test(store, study, "t", "abx", reference="human", start=3.0, excerpt_s=1.0)
    token = new_session(store, study, "t")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(server_config(store, study.root, "127.0.0.1", 0, limits))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield listener.getsockname(), token
    server.should_exit = True
    thread.join(10)
    listener.close()


def _connect(address: tuple[str, int]) -> socket.socket:
    connection = socket.create_connection(address, timeout=5)
    connection.settimeout(5)
    return connection


def _closed_after(connection: socket.socket, limit: float) -> float | None:
    """Seconds until the server closes ``connection`` (None if still open at ``limit``)."""
    started = time.monotonic()
    connection.settimeout(0.2)
    while time.monotonic() - started < limit:
        try:
            if connection.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started
    return None


def _request(address: tuple[str, int], text: bytes) -> bytes:
    with _connect(address) as connection:
        connection.sendall(text)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_a_client_trickling_header_lines_is_dropped(live) -> None:
    address, token = live
    with _connect(address) as connection:
        connection.sendall(f"GET /api/{token}/state HTTP/1.1\r\n".encode())
        started = time.monotonic()
        closed = False
        for n in range(30):  # a header line every 0.2 s, never the blank line
            try:
                connection.sendall(f"X-Slow-{n}: 1\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if _closed_after(connection, 0.2) is not None:
                closed = True
                break
        assert closed and time.monotonic() - started < 3.0


def test_idle_and_half_open_connections_are_dropped(live) -> None:
    address, token = live
    connections = [_connect(address) for _ in range(1_000)]  # connect, send nothing
    try:
        time.sleep(LIMITS.header_timeout_s + 2.0)
        assert sum(_closed_after(c, 0.5) is not None for c in connections) == 1_000
    finally:
        for connection in connections:
            connection.close()
    # a normal request on a kept-alive connection, then idleness: closed by keep-alive
    with _connect(address) as connection:
        connection.sendall(f"GET /api/{token}/state HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        assert (_closed_after(connection, 4.0) or 99) < LIMITS.keep_alive_s + 1.5


def test_a_body_that_never_arrives_gets_408(live) -> None:
    address, token = live
    head = (
        f"POST /api/{token}/answer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 200\r\n\r\n{"
    ).encode()
    started = time.monotonic()
    response = _request(address, head)
    assert response.startswith(b"HTTP/1.1 408"), response[:80]
    assert time.monotonic() - started < LIMITS.body_timeout_s + 2.0


@pytest.mark.parametrize("live", [FEW], indirect=True)
def test_connections_past_the_limit_get_503_and_the_server_recovers(live) -> None:
    address, token = live
    held = [_connect(address) for _ in range(FEW.max_connections)]
    try:
        time.sleep(0.2)
        refused = _request(address, b"GET /static/listen.css HTTP/1.1\r\nHost: x\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 503") and b"retry-after" in refused.lower()
        assert "error" in json.loads(refused.split(b"\r\n\r\n", 1)[1] or b"{}")
    finally:
        for connection in held:
            connection.close()
    time.sleep(0.3)
    ok = _request(address, f"GET /api/{token}/state HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert ok.startswith(b"HTTP/1.1 200")
