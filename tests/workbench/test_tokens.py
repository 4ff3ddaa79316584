"""Coders' tokens: a shared (PostgreSQL) study or a workbench bound beyond loopback answers
only a coder signed in with a live token; tokens are stored hashed, shown once, revocable,
and never reach a log."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from earwitness.code.workbench import WorkbenchConfig, add_token, create_app, revoke_tokens
from earwitness.store.schema import coder_tokens, coders, codings, notes
from tests.helpers import invoke_cli


def _count(store, table) -> int:
    with store.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


@pytest.mark.parametrize("any_study", ["postgresql"], indirect=True)
def test_a_shared_study_answers_only_live_tokens(wb_study) -> None:
    store, ids = wb_study
    app = create_app(store, WorkbenchConfig(coder="mallory"))  # --coder names nobody here
    c = TestClient(app, base_url="http://127.0.0.1:8700")
    memo = {"target": "document", "id": ids["p00"], "prior": None, "text": "x"}
    for response in (c.get("/api/start"), c.get("/api/documents"), c.post("/api/memo", json=memo)):
        assert response.status_code == 401 and response.json()["login"] is True
    assert c.get("/").status_code == 200  # the page itself, to sign in from
    assert c.post("/api/login", json={"token": "ewt_" + "x" * 43}).status_code == 401
    assert _count(store, notes) == 0
    token = add_token(store, "ana")
    assert token.startswith("ewt_") and len(token) > 40
    signed = c.post("/api/login", json={"token": token})
    assert signed.json() == {"coder": "ana"}
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert c.get("/api/start").json()["coder"] == "ana"
    assert c.post("/api/memo", json=memo).status_code == 200
    # the coder is the token's, never the server's --coder
    with store.connect() as connection:
        author = connection.scalar(
            sa.select(coders.c.name).join(notes, notes.c.author_id == coders.c.id)
        )
    assert author == "ana"
    # revoked: the next request is refused, and nothing more is written
    assert revoke_tokens(store, "ana") == 1
    refused = c.post("/api/memo", json={**memo, "prior": "x", "text": "y"})
    assert refused.status_code == 401
    with store.connect() as connection:
        assert connection.scalar(sa.select(notes.c.text)) == "x"
    # only the SHA-256 is stored; the first ten characters name it
    with store.connect() as connection:
        row = connection.execute(sa.select(coder_tokens)).one()
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:10] and token not in repr(tuple(row))
    assert row.revoked_at is not None


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_beyond_loopback_even_a_sqlite_study_needs_a_token(wb_study) -> None:
    store, ids = wb_study
    alone = TestClient(create_app(store, WorkbenchConfig(coder="ana")), base_url="http://127.0.0.1")
    assert alone.get("/api/start").json()["tokens"] is False  # one coder on their machine
    app = create_app(store, WorkbenchConfig(coder="ana"), host="10.20.30.40")
    c = TestClient(app, base_url="http://10.20.30.40:8700")
    body = {"document": ids["p00"], "start": 0, "end": 4, "code": "x"}
    assert c.post("/api/apply", json=body).status_code == 401
    assert c.post("/api/login", json={"token": add_token(store, "ben")}).status_code == 200
    assert c.get("/api/start").json()["coder"] == "ben"
    assert c.post("/api/logout", json={}).status_code == 200
    assert c.get("/api/start").status_code == 401
    assert _count(store, codings) == 0


def test_token_commands_show_a_token_once_and_revoke_it(any_study) -> None:
    root = str(any_study.root)
    made = invoke_cli("--study", root, "workbench", "token", "add", "ana")
    assert made.code == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("ewt_") and "\n" not in token
    assert "shown only now" in made.stderr and token not in made.stderr
    listed = invoke_cli("--study", root, "workbench", "token", "list")
    assert listed.code == 0 and token not in listed.stdout
    assert listed.stdout.startswith("ana\t" + token[:10] + "…") and "live" in listed.stdout
    revoked = invoke_cli("--study", root, "workbench", "token", "revoke", "ana")
    assert revoked.code == 0 and "Revoked 1 token of ana" in revoked.stderr
    assert "revoked" in invoke_cli("--study", root, "workbench", "token", "list").stdout
    again = invoke_cli("--study", root, "workbench", "token", "revoke", "ana")
    assert again.code != 0 and again.stderr.strip() == "earwitness: error: ana has no live token"
    nobody = invoke_cli("--study", root, "workbench", "token", "revoke", "zed")
    assert nobody.code != 0 and len(nobody.stderr.strip().splitlines()) == 1
    assert "no coder named 'zed'" in nobody.stderr


@pytest.mark.parametrize("any_study", ["postgresql"], indirect=True)
def test_the_served_workbench_never_logs_a_token(wb_study, any_study, tmp_path) -> None:
    store, ids = wb_study
    token = add_token(store, "ana")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARWITNESS_")}
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # no --coder: the study is shared, coders sign in
            [sys.executable, "-m", "earwitness", "--study", str(any_study.root), "workbench",
             "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{base}/static/wb.css", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            with httpx.Client(base_url=base) as c:
                assert c.get("/api/start").status_code == 401
                assert c.post("/api/login", json={"token": token[:-2] + "zz"}).status_code == 401
                assert c.post("/api/login", json={"token": token}).status_code == 200
                memo = {"target": "document", "id": ids["p00"], "prior": None, "text": "kept"}
                assert c.post("/api/memo", json=memo).status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(15)
    output = log.read_text()
    assert "coders sign in with their tokens" in output
    assert token not in output and token[:-2] not in output
