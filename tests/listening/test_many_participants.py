"""Many participants, every answer sent twice, the server killed three times (issue 27).

A real `earwitness listen serve` subprocess on a real SQLite study; participants are
threads with their own HTTP clients. Every answer is posted twice (as a page does when
a reply is lost); the server is killed with SIGKILL three times while they answer and
started again on the same port. In the end every session holds each of its answers
exactly once, as the participant gave it: none lost, none duplicated.
"""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from earwitness.analysis.listening import create_test, new_session
from earwitness.store import schema as s

PARTICIPANTS = 150
KILLS = 3
THREADS = 12


class Server:
    """``listen serve`` as a subprocess on a fixed free port, killable and restartable."""

    def __init__(self, study: Path) -> None:
        self.study = study
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts: list[float] = []  # seconds each start took (printed with -s)

    def start(self) -> None:
        command = [sys.executable, "-m", "earwitness", "--study", str(self.study)]
        command += ["listen", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        for _ in range(600):  # up to 60 s on a loaded machine
            try:
                httpx.get(f"{self.base}/static/listen.css", timeout=1)
                self.starts.append(time.monotonic() - started)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def _post(client: httpx.Client, url: str, answer: dict[str, object], deadline: float) -> int:
    """Post until the server gives a final status; connection errors and 503 are retried."""
    while time.monotonic() < deadline:
        try:
            response = client.post(url, json=answer, timeout=10)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if response.status_code != 503:
            return response.status_code
        time.sleep(float(response.headers.get("retry-after", "1")))
    raise AssertionError("no final answer before the deadline")


@pytest.mark.slow
def test_no_answer_is_lost_or_duplicated_across_kills(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "many", "abx", reference="human", start=3.0, excerpt_s=1.0)
    tokens = [new_session(store, study, "many") for _ in range(PARTICIPANTS)]
    server = Server(study.root)
    server.start()
    given: dict[str, list[str]] = {}
    statuses: list[int] = []
    posted = threading.Semaphore(0)
    deadline = time.monotonic() + 240

    def participant(token: str) -> None:
        rng = random.Random(token)
        choices = []
        with httpx.Client(base_url=server.base) as client:
            for trial in range(2):
                answer = {"trial": trial, "choice": rng.choice("AB")}
                for _ in range(2):  # every answer sent twice
                    statuses.append(_post(client, f"/api/{token}/answer", answer, deadline))
                    posted.release()
                choices.append(str(answer["choice"]))
        given[token] = choices

    def killer() -> None:  # kill spread over the run: after 1/4, 2/4 and 3/4 of the posts
        total = PARTICIPANTS * 4
        for _kill in range(KILLS):
            for _ in range(total // (KILLS + 1)):
                posted.acquire()
            server.kill()
            server.start()

    killing = threading.Thread(target=killer)
    killing.start()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(participant, tokens))
        killing.join(120)
    finally:
        server.kill()
    conflicts = statuses.count(409)
    print(f"starts {[round(x, 1) for x in server.starts]} s; {conflicts} answers got 409")
    assert not killing.is_alive() and len(server.starts) == KILLS + 1
    assert set(statuses) <= {200, 409} and len(statuses) == PARTICIPANTS * 4
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(s.listening_sessions.c.token, s.listening_answers.c.choice)
            .select_from(s.listening_answers.join(s.listening_sessions))
            .order_by(s.listening_answers.c.presented)
        ).all()
        complete = connection.scalar(
            sa.select(sa.func.count()).where(s.listening_sessions.c.status == "complete")
        )
    stored: dict[str, list[str]] = {}
    for token, choice in rows:
        stored.setdefault(token, []).append(choice)
    assert len(rows) == PARTICIPANTS * 2  # none duplicated
    assert stored == given  # none lost, each as given
    assert complete == PARTICIPANTS
