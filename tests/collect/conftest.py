"""Fixtures for collect tests: the local server, recorded Reddit, hand-written faults.

``local_server`` is the one :class:`tests.collect.server.LocalServer` every collect test
uses (forums, Discourse, Reddit, the HTTP client).

:class:`RedditCassettes` loads PRAW's vcrpy cassettes from ``../shared/fixtures/reddit``
into a server, and :func:`praw_env` points real PRAW at it the standard way: a praw.ini
found through ``XDG_CONFIG_HOME`` whose ``oauth_url`` and ``reddit_url`` name the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.collect.server import LocalServer, Reply, VirtualClock, _norm

__all__ = ["LocalServer", "RedditCassettes", "Reply", "VirtualClock", "write_praw_ini"]

# Credentials used only against the local server; the privacy tests look for them.
TEST_CLIENT_ID = "ew-test-client-id"
TEST_CLIENT_SECRET = "ew-test-client-secret-DO-NOT-LEAK"
TEST_ACCESS_TOKEN = "ew-test-access-token-DO-NOT-LEAK"


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def virtual_clock() -> VirtualClock:
    return VirtualClock()


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
        server.fallback = Reply(404, b'{"error": 404}', {"Content-Type": "application/json"})
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
                request["method"], path, Reply(response["status"]["code"], body, headers), **match
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
