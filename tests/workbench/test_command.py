"""`earwitness workbench` as a user runs it: a real process, killed with SIGKILL right after
its answers; every acknowledged action is in the study."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa

from earwitness.store.schema import coders, codings, notes
from tests.helpers import run_cli


def start(study_root, coder: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARWITNESS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "earwitness", "--study", str(study_root), "workbench",
         "--coder", coder, "--port", str(port)],
        stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/static/wb.css", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the workbench did not start")


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_a_killed_workbench_lost_no_acknowledged_action(wb_study, any_study) -> None:
    store, ids = wb_study
    process, base = start(any_study.root, "ana")
    try:
        codebook = httpx.get(f"{base}/api/start").json()["codebook"]
        harsh = next(c["guid"] for c in codebook if c["name"] == "Harsh")
        acknowledged = []
        for start_at in range(0, 40, 4):
            body = {"document": ids["p00"], "start": start_at, "end": start_at + 3, "code": harsh}
            answer = httpx.post(f"{base}/api/apply", json=body)
            assert answer.status_code == 200
            acknowledged.append(answer.json()["id"])
        memo = {"target": "document", "id": ids["p00"], "prior": None, "text": "kept"}
        assert httpx.post(f"{base}/api/memo", json=memo).status_code == 200
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    with store.connect() as connection:
        stored = connection.execute(
            sa.select(codings.c.id)
            .join(coders, coders.c.id == codings.c.coder_id)
            .where(coders.c.name == "ana")
        ).all()
        assert connection.scalar(sa.select(notes.c.text)) == "kept"
    assert sorted(r.id for r in stored) == sorted(acknowledged)


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_the_command_needs_a_coder(any_study) -> None:
    result = run_cli("--study", str(any_study.root), "workbench")
    assert result.code != 0
    assert "name the coder: --coder NAME" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
