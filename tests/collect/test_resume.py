"""kill -9 in the middle of a Reddit collection, resume, compare with an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.store.schema import collection_cursors, documents
from earwitness.study import Study, init_study
from tests.collect.conftest import RedditCassettes
from tests.helpers import share_key

ARGS = ["collect", "reddit", "--subreddit", "spez", "--listing", "top", "--no-comments", "--json"]


def _run(study: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "earwitness", "--study", str(study), *ARGS],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _documents(study: Study) -> list[tuple]:
    with study.open_store() as store, store.connect() as connection:
        return sorted(
            connection.execute(
                sa.select(
                    documents.c.native_id,
                    documents.c.text_sha256,
                    documents.c.score,
                    documents.c.parent_native_id,
                    documents.c.status,
                )
            ).all()
        )


@pytest.mark.slow
def test_kill_9_then_resume_equals_an_uninterrupted_run(
    reddit_server: RedditCassettes, tmp_path: Path
) -> None:
    reddit_server.load(
        "TestListingGenerator.test_exhaust_items", remap={"/user/spez/": "/r/spez/top"}
    )
    for route in reddit_server.server.routes:
        for reply in route.replies:
            reply.delay_s = 0.4  # slow enough to be killed mid-run
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    killed = init_study(tmp_path / "killed")
    process = _run(killed.root, env)
    deadline = time.monotonic() + 60
    while reddit_server.server.requests_to("/r/spez/top") < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    partial = _documents(killed)
    assert 0 < len(partial) < 1001, "the kill should land mid-collection"

    resumed = _run(killed.root, env)
    _out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err.decode()

    clean = init_study(tmp_path / "clean")
    # the same key, so masked mentions get the same pseudonyms in both studies
    share_key(killed.root, clean.root)
    uninterrupted = _run(clean.root, env)
    _out, err = uninterrupted.communicate(timeout=120)
    assert uninterrupted.returncode == 0, err.decode()

    assert _documents(killed) == _documents(clean)
    assert len(_documents(clean)) == 1001
    with killed.open_store() as store, store.connect() as connection:
        cursor = connection.execute(sa.select(collection_cursors)).one()
    assert cursor.done and cursor.state["capped"] is True
