"""Partitions run in-process, on a real LocalCluster and on a separately started scheduler,
with the same results; a lost worker changes nothing; the workers die with the command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pytest

from earwitness.errors import BadInputError, EarwitnessError
from earwitness.partitions import (
    SCHEDULER_ENV,
    Scheduler,
    from_parquet,
    map_partitions,
    parse_scheduler,
    partition_ranges,
    resolve_scheduler,
    scheduler_client,
    to_parquet,
)
from tests.helpers import dask_scheduler

IN_PROCESS = Scheduler()


def squares(bounds: tuple[int, int]) -> bytes:
    start, stop = bounds
    return to_parquet([{"n": n, "square": n * n, "pid": os.getpid()} for n in range(start, stop)])


def slow_squares(bounds: tuple[int, int]) -> bytes:
    time.sleep(0.3)
    return squares(bounds)


def rows(results: list[bytes]) -> list[tuple[int, int]]:
    return [(r["n"], r["square"]) for data in results for r in from_parquet(data).to_pylist()]


EXPECTED = [(n, n * n) for n in range(40)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Scheduler()),
        (None, Scheduler()),
        ("local:3", Scheduler("local", 3)),
        ("tcp://10.0.0.5:8786", Scheduler("remote", address="tcp://10.0.0.5:8786")),
    ],
)
def test_scheduler_settings_parse(text: str | None, expected: Scheduler) -> None:
    assert parse_scheduler(text) == expected


def test_local_without_a_count_uses_every_core() -> None:
    assert parse_scheduler("local").workers == (os.cpu_count() or 1)


@pytest.mark.parametrize("text", ["local:0", "local:two", "slurm", "tcp://nohost", "http://x:1"])
def test_a_bad_scheduler_is_one_clear_line(text: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_scheduler(text, source="--scheduler")
    message = str(caught.value)
    assert "\n" not in message and "--scheduler" in message and text in message


def test_the_environment_beats_the_option_which_beats_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert resolve_scheduler(None, "local:2") == Scheduler("local", 2)
    assert resolve_scheduler("", "local:2") == Scheduler()
    monkeypatch.setenv(SCHEDULER_ENV, "local:1")
    assert resolve_scheduler("", "local:2") == Scheduler("local", 1)


def test_parquet_round_trip_keeps_types_and_nulls() -> None:
    table = from_parquet(to_parquet([{"id": 1, "text": "é ☃", "x": None}, {"id": 2, "x": 0.5}]))
    assert table.to_pylist() == [
        {"id": 1, "text": "é ☃", "x": None},
        {"id": 2, "text": None, "x": 0.5},
    ]
    assert table.schema.field("id").type == pa.int64()


def test_partition_ranges_cover_everything_once() -> None:
    assert partition_ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert partition_ranges(0, 4) == []


def test_in_process_runs_in_this_process_in_order() -> None:
    results = list(
        map_partitions(squares, partition_ranges(40, 7), scheduler=IN_PROCESS, label="t")
    )
    assert rows(results) == EXPECTED
    assert {r["pid"] for data in results for r in from_parquet(data).to_pylist()} == {os.getpid()}


@pytest.mark.slow
def test_local_cluster_gives_the_in_process_results_from_other_processes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    local = parse_scheduler("local:2")
    results = list(map_partitions(squares, partition_ranges(40, 3), scheduler=local, label="sq"))
    assert rows(results) == EXPECTED
    pids = {r["pid"] for data in results for r in from_parquet(data).to_pylist()}
    assert os.getpid() not in pids
    progress = capsys.readouterr().err
    assert "sq: 14/14 done" in progress and "rate" in progress


@pytest.mark.slow
def test_a_worker_killed_mid_step_changes_nothing() -> None:
    local = parse_scheduler("local:2")
    with scheduler_client(local) as client:
        results = []
        stream = map_partitions(
            slow_squares, partition_ranges(40, 2), scheduler=local, label="k", client=client
        )
        for index, data in enumerate(stream):
            results.append(data)
            if index == 2:
                victim = next(iter(client.run(os.getpid).values()))
                os.kill(victim, signal.SIGKILL)
    assert rows(results) == EXPECTED
    assert victim not in {r["pid"] for data in results[4:] for r in from_parquet(data).to_pylist()}


@pytest.mark.slow
def test_a_separately_started_scheduler_gives_the_same_results() -> None:
    with dask_scheduler(workers=1) as address:
        remote = parse_scheduler(address)
        results = list(
            map_partitions(squares, partition_ranges(40, 9), scheduler=remote, label="r")
        )
    assert rows(results) == EXPECTED


def test_an_unreachable_scheduler_is_one_clear_line() -> None:
    pytest.importorskip("distributed")
    remote = parse_scheduler("tcp://127.0.0.1:9")
    with pytest.raises(EarwitnessError, match=r"cannot reach the Dask scheduler at tcp://127"):
        list(map_partitions(squares, [(0, 1)], scheduler=remote, label="r"))


@pytest.mark.slow
def test_killing_the_command_leaves_no_worker_behind(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import os, time
        from earwitness.partitions import map_partitions, parse_scheduler
        def work(n):
            with open({str(pids)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            time.sleep(60)
        if __name__ == "__main__":
            list(map_partitions(work, range(4), scheduler=parse_scheduler("local:2"), label="w"))
        """
    )
    command = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_read_pids(pids)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _read_pids(pids)
    assert len(workers) == 2
    command.kill()
    command.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def _read_pids(path: Path) -> set[int]:
    return {int(line) for line in path.read_text().split()} if path.exists() else set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")
