"""Segment, stance detect and groups assign in partitions (issue 26): the same rows
whatever the partition size and wherever they run, after a lost worker, and after a
killed command is run again. The posts are SYNTHETIC (tests/code/assist_synth.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earwitness.code import _segment
from earwitness.code._segment import segment_documents
from earwitness.code.assist import _stance_run
from earwitness.code.assist._stance import Gazetteer, detect_stance, find_mentions
from earwitness.code.assist._stance_run import run_mentions
from earwitness.groups import _assign
from earwitness.groups._assign import assign_groups
from earwitness.partitions import Scheduler, parse_scheduler, scheduler_client
from earwitness.store import Store
from earwitness.store.schema import group_evidence, participants, segments, tool_mentions
from earwitness.study import Study, init_study
from tests.code import assist_synth as synth
from tests.helpers import dask_scheduler

QUOTES = [
    ("I master for a living, 15 years now", "self"),
    ("mostly a hobbyist, I do this for fun", "self"),
    ("I get some paid gigs on the side", "paid"),
    ("Mastering Engineer", "flair"),
    ("I like pizza", "self"),
]


def _study(root: Path, n: int = 60) -> Study:
    study = init_study(root)
    with study.open_store() as store:
        synth.add_documents(store, list(synth.forum_texts(n, seed=5)))
        with store.transaction() as connection:
            authors = connection.execute(sa.select(participants.c.id)).scalars().all()
            connection.execute(
                group_evidence.insert(),
                [
                    {
                        "participant_id": author,
                        "quote": QUOTES[i % len(QUOTES)][0],
                        "kind": QUOTES[i % len(QUOTES)][1],
                        "start": 0,
                        "end": len(QUOTES[i % len(QUOTES)][0]),
                    }
                    for i, author in enumerate(authors)
                ],
            )
    return study


def _run_all(store: Store, scheduler: Scheduler, size: int = 7) -> None:
    segment_documents(store, scheduler=scheduler, partition_documents=size)
    run_mentions(store, Gazetteer(), method="rules", scheduler=scheduler, partition_documents=size)
    assign_groups(store, scheduler=scheduler, partition_authors=size)


def _rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the three steps write, without row ids and times."""
    with store.connect() as connection:
        return {
            "segments": sorted(
                tuple(r)
                for r in connection.execute(
                    sa.select(
                        segments.c.document_id, segments.c.kind, segments.c.start, segments.c.end
                    )
                )
            ),
            "mentions": sorted(
                tuple(r)
                for r in connection.execute(
                    sa.select(
                        tool_mentions.c.segment_id,
                        tool_mentions.c.tool,
                        tool_mentions.c.alias,
                        tool_mentions.c.start,
                        tool_mentions.c.end,
                        tool_mentions.c.stance,
                        tool_mentions.c.score,
                        tool_mentions.c.model_id,
                        tool_mentions.c.origin,
                    )
                )
            ),
            "groups": sorted(
                tuple(r)
                for r in connection.execute(
                    sa.select(
                        participants.c.id,
                        participants.c.user_group,
                        participants.c.group_method,
                        participants.c.group_confidence,
                        participants.c.extra,
                    )
                )
            ),
        }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of one in-process run with partitions larger than the study."""
    study = _study(tmp_path_factory.mktemp("reference") / "study")
    with study.open_store() as store:
        _run_all(store, Scheduler(), size=10_000)
        return _rows(store)


def test_the_reference_has_mentions_stances_and_groups(
    reference: dict[str, list[tuple[Any, ...]]],
) -> None:
    assert {r[1] for r in reference["segments"]} >= {"post", "paragraph", "sentence"}
    stances = {r[5] for r in reference["mentions"]}
    assert {"positive", "negative"} <= stances
    assert {r[1] for r in reference["groups"]} >= {"amateur", "professional"}


def test_small_partitions_give_the_rows_of_one_partition(
    tmp_path: Path, reference: dict[str, list[tuple[Any, ...]]]
) -> None:
    study = _study(tmp_path / "study")
    with study.open_store() as store:
        _run_all(store, Scheduler(), size=3)
        assert _rows(store) == reference


def test_one_pass_gives_the_stances_of_find_then_detect(tmp_path: Path) -> None:
    study = _study(tmp_path / "study")
    with study.open_store() as store:
        segment_documents(store)
        found = find_mentions(store, Gazetteer())
        detect_stance(store, method="rules")
        two_steps = _rows(store)["mentions"]
        report = run_mentions(store, Gazetteer(), method="rules", partition_documents=4)
        assert report["mentions"] == found > 0
        assert _rows(store)["mentions"] == two_steps


def test_a_rerun_replaces_the_machine_rows_and_keeps_human_labels(tmp_path: Path) -> None:
    study = _study(tmp_path / "study")
    with study.open_store() as store:
        segment_documents(store)
        run_mentions(store, Gazetteer(), method="rules", partition_documents=5)
        with store.transaction() as connection:
            first = connection.execute(
                sa.select(tool_mentions).where(tool_mentions.c.origin == "model")
            ).first()
            assert first is not None
            connection.execute(
                tool_mentions.insert().values(
                    {
                        **{k: v for k, v in first._asdict().items() if k != "id"},
                        "origin": "human",
                        "stance": "mixed",
                    }
                )
            )
        before = _rows(store)["mentions"]
        run_mentions(store, Gazetteer(), method="rules", partition_documents=9)
        assert _rows(store)["mentions"] == before
        assert sum(1 for r in before if r[-1] == "human") == 1


@pytest.mark.slow
def test_local_cluster_and_a_separate_scheduler_give_the_in_process_rows(
    tmp_path: Path, reference: dict[str, list[tuple[Any, ...]]]
) -> None:
    local = _study(tmp_path / "local")
    with scheduler_client(parse_scheduler("local:2")) as client, local.open_store() as store:
        # one LocalCluster for the three steps (each would start its own with local:2)
        _run_all(store, Scheduler("remote", address=client.scheduler_info()["address"]))
        assert _rows(store) == reference
    remote = _study(tmp_path / "remote")
    with dask_scheduler(workers=1) as address, remote.open_store() as store:
        _run_all(store, parse_scheduler(address))
        assert _rows(store) == reference


@pytest.mark.slow
def test_a_worker_killed_mid_step_changes_nothing(
    tmp_path: Path,
    reference: dict[str, list[tuple[Any, ...]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    study = _study(tmp_path / "study")
    with scheduler_client(parse_scheduler("local:2")) as client, study.open_store() as store:
        cluster = Scheduler("remote", address=client.scheduler_info()["address"])
        killed: list[int] = []

        def killing(write: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(*args: Any) -> Any:
                result = write(*args)
                if not killed:
                    victim = next(iter(client.run(os.getpid).values()))
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
                return result

            return wrapped

        for module, name in (
            (_segment, "_write_partition"),
            (_stance_run, "_replace"),
            (_assign, "_write_assignments"),
        ):
            killed.clear()
            monkeypatch.setattr(module, name, killing(getattr(module, name)))
            if name == "_write_partition":
                segment_documents(store, scheduler=cluster, partition_documents=3)
            elif name == "_replace":
                run_mentions(
                    store, Gazetteer(), method="rules", scheduler=cluster, partition_documents=3
                )
            else:
                assign_groups(store, scheduler=cluster, partition_authors=3)
            assert killed, name
        assert _rows(store) == reference


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "table"),
    [
        (["code", "segment"], "segments"),
        (["code", "stance", "detect", "--method", "rules"], "tool_mentions"),
        (["groups", "assign"], "participants WHERE group_method != 'unassigned'"),
    ],
    ids=["segment", "stance", "groups"],
)
def test_a_killed_command_run_again_gives_the_rows_of_an_uninterrupted_run(
    tmp_path: Path,
    reference: dict[str, list[tuple[Any, ...]]],
    command: list[str],
    table: str,
) -> None:
    study = _study(tmp_path / "study", n=60)
    with study.open_store() as store:
        if command[0] != "code" or command[1] != "segment":
            segment_documents(store)
        if command[0] == "groups":
            run_mentions(store, Gazetteer(), method="rules")
    cli = [sys.executable, "-m", "earwitness", "--study", str(study.root), *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARWITNESS_")}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    process = subprocess.Popen([*cli, "--partition-size", "1"], **quiet)  # type: ignore[call-overload]
    written = _wait_for_rows(study.root / "study.db", table, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert written > 0, "the command finished before it could be killed"
    subprocess.run([*cli, "--partition-size", "4"], check=True, env=env, capture_output=True)
    with study.open_store() as store:
        if command[0] == "code" and command[1] == "segment":
            run_mentions(store, Gazetteer(), method="rules")
        if command[0] != "groups":
            assign_groups(store)
        assert _rows(store) == reference


def _wait_for_rows(database: Path, table: str, process: subprocess.Popen[bytes]) -> int:
    """Rows in ``table`` once the command has written some and is still running."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
                count = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:
            count = 0
        if count:
            return int(count) if process.poll() is None else 0
        time.sleep(0.01)
    return 0


def test_the_driver_reads_the_texts_load_segments_gives(any_study: Study) -> None:
    """The database cuts segment texts in code points, as Python does (SQLite, PostgreSQL)."""
    from earwitness.code.assist._data import load_segments
    from earwitness.partitions import from_parquet

    texts = [("🎧🎧 Mastered with LANDR. 𝄞 It sounds great, café crème.\n\nÀ bientôt " * 9, "a")]
    with any_study.open_store() as store:
        synth.add_documents(store, [*texts, *synth.forum_texts(8, seed=3)])
        segment_documents(store, short_post_chars=40)
        with store.connect() as connection:
            expected = [(s.id, s.document_id, s.start, s.text) for s in load_segments(connection)]
        got = from_parquet(_stance_run._segment_texts(store, None, (None, None))).to_pylist()
    assert [tuple(row.values()) for row in got] == expected
    assert any("🎧" in row["text"] for row in got)
