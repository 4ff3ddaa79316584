"""`repro shtern2018` feature extraction on Dask (issue 26): the same features as in this
process, on a LocalCluster and on a separately started scheduler; an unreadable recording
is still skipped with its reason; a lost worker changes nothing."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis.eqmoves._datasets import DATASETS, make_sets
from earwitness.analysis.eqmoves._repro import ReproConfig, _ClipFeatures, _features
from earwitness.partitions import Scheduler, parse_scheduler, scheduler_client
from tests.helpers import dask_scheduler

if TYPE_CHECKING:
    from distributed import Client

CONFIG = ReproConfig(clip_s=4.0, workers=1)
SETS = {d.name: make_sets(d, 3, 1) for d in DATASETS}


@pytest.fixture(scope="module")
def recordings(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five 6 s slices of the real recordings, and an unreadable file in the middle."""
    folder = tmp_path_factory.mktemp("clips")
    paths = []
    for index, source in enumerate(sorted((shared_dir / "audio").glob("*.ogg"))):
        with sf.SoundFile(source) as handle:
            samples, rate = handle.read(6 * handle.samplerate, dtype="float32"), handle.samplerate
        paths.append(folder / f"clip_{index}.wav")
        sf.write(paths[-1], samples, rate)
    bad = folder / "broken.wav"
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunkjunk")
    return [*paths[:2], bad, *paths[2:]]


Outcome = tuple[list[_ClipFeatures], list[Path]]


def _run(
    paths: list[Path],
    dask: tuple[Scheduler, Client] | None,
    on_skip: Callable[[], None] | None = None,
) -> Outcome:
    skipped: list[Path] = []

    def skip(path: Path, reason: str) -> None:
        assert reason
        skipped.append(path)
        if on_skip is not None:
            on_skip()

    return _features(paths, SETS, CONFIG, "t", skip, dask), skipped


def _same_features(first: list[_ClipFeatures], second: list[_ClipFeatures]) -> bool:
    return len(first) == len(second) and all(
        a.rate == b.rate
        and all(
            np.array_equal(getattr(a, kind)[name], getattr(b, kind)[name])
            for kind in ("paper", "ratio", "weights")
            for name in SETS
        )
        for a, b in zip(first, second, strict=True)
    )


@pytest.fixture(scope="module")
def in_process(recordings: list[Path]) -> Outcome:
    return _run(recordings, None)


def _same(first: Outcome, second: Outcome) -> bool:
    return first[1] == second[1] and _same_features(first[0], second[0])


@pytest.mark.slow
def test_local_and_a_separate_scheduler_give_the_in_process_features(
    recordings: list[Path], in_process: Outcome
) -> None:
    assert in_process[1] == [recordings[2]] and len(in_process[0]) == 5
    local = parse_scheduler("local:2")
    with scheduler_client(local) as client:
        assert _same(_run(recordings, (local, client)), in_process)
    with dask_scheduler(workers=1) as address:
        remote = parse_scheduler(address)
        with scheduler_client(remote) as client:
            assert _same(_run(recordings, (remote, client)), in_process)


@pytest.mark.slow
def test_a_worker_killed_mid_extraction_changes_nothing(
    recordings: list[Path], in_process: Outcome
) -> None:
    local = parse_scheduler("local:2")
    with scheduler_client(local) as client:
        victims: list[int] = []

        def kill_a_worker() -> None:  # when the unreadable third file is reported
            victims.append(next(iter(client.run(os.getpid).values())))
            os.kill(victims[0], signal.SIGKILL)

        outcome = _run(recordings, (local, client), on_skip=kill_a_worker)
        assert victims and victims[0] not in client.run(os.getpid).values()
    assert _same(outcome, in_process)
