"""`audio measure` of many files on Dask (issue 26): the same outcomes in this process,
on a LocalCluster and on a separately started scheduler; a lost worker or a killed
command changes nothing in the stored rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import sqlalchemy as sa

from earwitness.analysis.metrics._batch import measure_files, measure_task
from earwitness.partitions import map_partitions, parse_scheduler, scheduler_client
from earwitness.store import schema as s
from earwitness.study import Study, init_study
from tests.helpers import dask_scheduler, invoke_cli

OPTIONS: dict[str, Any] = {"full": True, "lra_convention": "tech3342", "dual_mono": False,
                           "psr_distribution": False, "series": False}  # fmt: skip


def _masters(folder: Path, shared_dir: Path, count: int, seconds: float) -> list[Path]:
    """``count`` short 'masters' cut from the real recordings in shared/audio, each at its
    own offset and gain (synthetic versions of real audio)."""
    folder.mkdir(parents=True, exist_ok=True)
    recordings = sorted((shared_dir / "audio").glob("*.ogg"))
    paths = []
    for index in range(count):
        recording = recordings[index % len(recordings)]
        with sf.SoundFile(recording) as source:
            source.seek(int((1 + index) * source.samplerate) % max(1, source.frames // 2))
            samples = source.read(int(seconds * source.samplerate), dtype="float32")
            rate = source.samplerate
        path = folder / f"master_{index:02d}.{'flac' if index % 2 else 'wav'}"
        sf.write(path, np.clip(samples * (0.6 + 0.05 * index), -1, 1), rate)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def files(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Six short real masters and one bad file among them."""
    folder = tmp_path_factory.mktemp("masters")
    paths = _masters(folder, shared_dir, 6, 3.0)
    bad = folder / "bad.wav"
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunkjunk")
    return [str(p) for p in (*paths[:3], bad, *paths[3:])]


@pytest.fixture(scope="module")
def in_process(files: list[str]) -> list[dict[str, Any]]:
    return list(measure_files(files, workers=1, options=OPTIONS))


def test_workers_and_a_dask_scheduler_together_are_one_clear_line(files: list[str]) -> None:
    result = invoke_cli("audio", "measure", *files[:2], "--workers", "2", "--scheduler", "local:2")
    assert result.code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "--workers" in line and "local:2" in line


def test_the_pool_gives_the_in_process_outcomes(
    files: list[str], in_process: list[dict[str, Any]]
) -> None:
    assert "error" in in_process[3] and "integrated_lufs" in in_process[0]
    assert list(measure_files(files, workers=2, options=OPTIONS)) == in_process


@pytest.mark.slow
def test_local_and_a_separate_scheduler_give_the_in_process_outcomes(
    files: list[str], in_process: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    local = list(measure_files(files, options=OPTIONS, scheduler=parse_scheduler("local:2")))
    assert local == in_process
    assert "Measuring audio: 7/7 done" in capsys.readouterr().err
    with dask_scheduler(workers=1) as address:
        remote = list(measure_files(files, options=OPTIONS, scheduler=parse_scheduler(address)))
    assert remote == in_process


@pytest.mark.slow
def test_without_keep_going_a_dask_batch_stops_at_the_first_error(
    files: list[str], in_process: list[dict[str, Any]]
) -> None:
    local = parse_scheduler("local:2")
    outcomes = list(measure_files(files, options=OPTIONS, scheduler=local, keep_going=False))
    assert outcomes == in_process[:4]


@pytest.mark.slow
def test_a_worker_killed_mid_batch_changes_nothing(shared_dir: Path, tmp_path: Path) -> None:
    paths = [str(p) for p in _masters(tmp_path, shared_dir, 12, 6.0)]
    expected = list(measure_files(paths, workers=1, options=OPTIONS))
    local = parse_scheduler("local:2")
    jobs = [(path, OPTIONS) for path in paths]
    with scheduler_client(local) as client:
        outcomes = []
        stream = map_partitions(measure_task, jobs, scheduler=local, label="m", client=client)
        for index, outcome in enumerate(stream):
            outcomes.append(outcome)
            if index == 1:
                victim = next(iter(client.run(os.getpid).values()))
                os.kill(victim, signal.SIGKILL)
        assert victim not in client.run(os.getpid).values()
    assert outcomes == expected


def _add(study: Study, paths: list[Path]) -> None:
    for index, path in enumerate(paths):
        result = invoke_cli("--study", str(study.root), "audio", "add", "--song", f"s{index}",
                            "--version", "mix", str(path))  # fmt: skip
        assert result.code == 0, result.stderr


def _rows(study: Study) -> list[tuple[Any, ...]]:
    m, f = s.audio_metrics, s.audio_files
    store = study.open_store()
    try:
        with store.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    sa.select(f.c.sha256, m.c.name, m.c.value, m.c.data, m.c.tool_version)
                    .select_from(m.join(f, m.c.file_id == f.c.id))
                    .order_by(f.c.sha256, m.c.name)
                )
            ]
    finally:
        store.close()


def _measured(study: Study) -> int:
    return len({row[0] for row in _rows(study)})


@pytest.mark.slow
def test_a_killed_command_then_a_rerun_store_the_rows_of_an_uninterrupted_run(
    shared_dir: Path, tmp_path: Path
) -> None:
    paths = _masters(tmp_path / "masters", shared_dir, 16, 10.0)
    whole, killed = (init_study(tmp_path / name, name=name) for name in ("whole", "killed"))
    _add(whole, paths)
    _add(killed, paths)
    result = invoke_cli("--study", str(whole.root), "audio", "measure", "--workers", "1")
    assert result.code == 0, result.stderr
    expected = _rows(whole)
    assert _measured(whole) == 16

    command = [sys.executable, "-m", "earwitness", "--study", str(killed.root), "audio",
               "measure", "--scheduler", "local:2"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARWITNESS_")}
    driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _measured(killed) < 2 and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.1)
    driver.kill()
    driver.wait()
    assert 2 <= _measured(killed) < 16  # killed mid-batch

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _rows(killed) == expected
    assert len(expected) == len({(row[0], row[1]) for row in expected})  # no duplicates
