"""The dashboard's server as a hostile page and a careful operator see it: a real
``earwitness dashboard`` process, real sockets.

* DNS rebinding: a WebSocket whose Host and Origin name another site is refused; the served
  names are accepted.
* Nothing at run time reaches the network (a socket guard in the server process records
  every outbound connection and name lookup), even bound to every interface, and binding to
  every interface warns that the dashboard has no login.
* The pseudonym key is never opened, and the study folder is left as it was.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from earwitness.dashboard import allowed_hosts, streamlit_options
from earwitness.study import Study

# Loaded first in the server process (sitecustomize): notes every outbound connection or
# name lookup that is not loopback, and every opening of secret.key, in a log file.
GUARD = """
import os, socket, sys
_LOG = os.environ["EW_GUARD_LOG"]
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::", "", None}

def _note(what):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(what + "\\n")

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

def _outbound(sock, address):
    host = address[0] if isinstance(address, tuple) else None
    return sock.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOCAL

def connect(self, address):
    if _outbound(self, address):
        _note(f"connect {address!r}")
        raise OSError("network refused by the test's guard")
    return _connect(self, address)

def connect_ex(self, address):
    if _outbound(self, address):
        _note(f"connect {address!r}")
        return 111
    return _connect_ex(self, address)

socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
_getaddrinfo = socket.getaddrinfo

def getaddrinfo(host, *args, **kwargs):
    if host not in _LOCAL:
        _note(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "refused by the test's guard")
    return _getaddrinfo(host, *args, **kwargs)

socket.getaddrinfo = getaddrinfo

def _audit(event, args):
    if event == "open" and args and str(args[0]).endswith("secret.key"):
        _note(f"open {args[0]}")

sys.addaudithook(_audit)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _folder(root: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in [root, *root.rglob("*")]
    )


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def guard_notes(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    from earwitness.study import init_study

    return init_study(tmp_path_factory.mktemp("served") / "study")


def _serve(study: Study, tmp: Path, *args: str) -> Iterator[Server]:
    guard = tmp / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD)
    log = tmp / "guard.log"
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(guard), os.environ.get("PYTHONPATH", "")]),
        "EW_GUARD_LOG": str(log),
    }
    env.pop("EARWITNESS_STUDY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "earwitness", "--study", str(study.root), "dashboard",
         "--port", str(port), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(240):
            if process.poll() is not None:
                pytest.fail(f"the dashboard exited: {process.communicate()}")
            try:
                url = f"http://127.0.0.1:{port}/_stcore/health"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("the dashboard did not start")
        yield Server(process, port, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def local(study: Study, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(study, tmp_path_factory.mktemp("local"))


def _handshake(port: int, host: str, origin: str | None) -> int:
    """The HTTP status of a WebSocket opening handshake on Streamlit's stream."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
        *([f"Origin: {origin}"] if origin else []),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = sock.recv(4096).decode("latin-1")
    return int(answer.split()[1])


@pytest.mark.slow
def test_a_rebound_page_cannot_open_the_websocket(local: Server) -> None:
    port = local.port
    evil = f"evil.example:{port}"
    assert _handshake(port, evil, f"http://{evil}") != 101
    assert _handshake(port, evil, None) != 101
    assert _handshake(port, f"127.0.0.1:{port}", f"http://{evil}") != 101
    for name in ("127.0.0.1", "localhost"):
        assert _handshake(port, f"{name}:{port}", f"http://{name}:{port}") == 101


def test_the_served_names_and_the_protections_are_the_options(study: Study) -> None:
    options = streamlit_options("10.1.2.3", 9000, ["lab-pc"])
    pairs = dict(zip(options[::2], options[1::2], strict=True))
    assert pairs["--server.enableXsrfProtection"] == "true"
    assert pairs["--server.enableCORS"] == "true"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--client.toolbarMode"] == "minimal"
    hosts = [options[i + 1] for i, o in enumerate(options) if o == "--server.allowedHosts"]
    assert hosts == ["127.0.0.1", "localhost", "::1", "10.1.2.3", "lab-pc"]
    assert "0.0.0.0" not in allowed_hosts("0.0.0.0")


@pytest.mark.slow
def test_every_interface_warns_and_nothing_reaches_the_network(
    study: Study, tmp_path: Path
) -> None:
    before = _folder(study.root)
    served = _serve(study, tmp_path, "--host", "0.0.0.0")
    server = next(served)
    port = server.port
    # a page on another origin: Streamlit would look up the machine's addresses to decide
    assert _handshake(port, f"127.0.0.1:{port}", "http://evil.example") != 101
    assert _handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
        assert answer.status == 200
    time.sleep(1.5)  # Streamlit's lookups run in the background
    with pytest.raises(StopIteration):
        next(served)
    _, err = server.process.communicate()
    assert server.guard_notes() == []  # no lookup, no connection, no secret.key
    assert _folder(study.root) == before
    assert "no login" in err, err
