"""No process outlives its command: real commands, real SIGKILL and SIGTERM, then /proc.

A pool's workers used to block on their queue forever once the main process was killed
(they hold its pipe open themselves); `ps` showed them 90 s later. Here a command with
two workers is killed while they work, and every worker must be gone within seconds.
Temporaries a kill leaves (`.part` files, staging folders) go on the next run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.files import atomic_output, owner_tag, remove_stale_temporaries
from earwitness.study import STAGING_PREFIX, init_study, remove_stale_staging
from tests.helpers import run_cli

GONE_WITHIN_S = 15.0


def _children(pid: int) -> set[int]:
    """Live processes whose parent is ``pid``, from /proc (no ps, no psutil)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid and stat[0] != "Z":
                found.add(int(entry.name))
    return found


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _wait_for_workers(process: subprocess.Popen[bytes], count: int) -> set[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the command ended before its workers started"
        workers = _children(process.pid)
        if len(workers) >= count:
            time.sleep(0.5)  # let them start working
            return _children(process.pid)
        time.sleep(0.05)
    raise AssertionError("the workers never started")


def _assert_gone(workers: set[int]) -> float:
    start = time.monotonic()
    while time.monotonic() - start < GONE_WITHIN_S:
        if not any(_alive(pid) for pid in workers):
            return time.monotonic() - start
        time.sleep(0.05)
    left = sorted(pid for pid in workers if _alive(pid))
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"workers {left} outlived their parent by {GONE_WITHIN_S} s")


@pytest.fixture(scope="module")
def long_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Six 90 s files of simulated noise: a batch that keeps two workers busy."""
    folder = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(27)
    paths = []
    for index in range(6):
        path = folder / f"take{index}.wav"
        sf.write(path, 0.1 * rng.standard_normal((44_100 * 90, 2)).astype("float32"), 44_100)
        paths.append(path)
    return paths


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_audio_measure_workers_die_with_their_parent(
    long_files: list[Path], sig: signal.Signals, tmp_path: Path
) -> None:
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:  # a file: orphans would hold a pipe open
        process = subprocess.Popen(
            [sys.executable, "-m", "earwitness", "audio", "measure", "--workers", "2", "--json"]
            + [str(p) for p in long_files],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    workers = _wait_for_workers(process, 2)
    process.send_signal(sig)
    process.wait(timeout=60)
    _assert_gone(workers)
    if sig == signal.SIGTERM:
        assert process.returncode == 128 + signal.SIGTERM
        assert errors.read_text() == "earwitness: terminated\n"


@pytest.fixture
def two_song_study(tmp_path: Path, shared_dir: Path) -> Path:
    """Two songs of three versions each, from a real recording (shared/audio)."""
    from earwitness.analysis.metrics._study import add_file, parse_version

    x, rate = sf.read(shared_dir / "audio/Kevin_MacLeod_-_Vibe_Ace.ogg", dtype="float32")
    study = init_study(tmp_path / "study")
    with study.open_store() as store:
        for song, gain in (("one", 0.5), ("two", 0.4)):
            for label, shape in (("human", 1.0), ("ai:landr", 0.8), ("ai:ozone", 0.6)):
                path = tmp_path / f"{song}-{label.replace(':', '_')}.wav"
                sf.write(path, np.tanh(x[: rate * 60] * gain * 3 * shape) * 0.7, rate)
                add_file(store, study, song, parse_version(label), path)
    return study.root


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_listen_create_workers_die_with_their_parent(
    two_song_study: Path, sig: signal.Signals
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "earwitness", "--study", str(two_song_study), "listen",
         "create", "t", "--design", "mushra", "--workers", "2", "--excerpt-s", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers = _wait_for_workers(process, 2)
    process.send_signal(sig)
    process.wait(timeout=60)
    _assert_gone(workers)


_POOL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from earwitness.processes import worker_pool

    def work(seconds):
        time.sleep(seconds)
        return seconds

    if __name__ == "__main__":
        with worker_pool(2) as pool:
            print("started", flush=True)
            list(pool.map(work, [60, 60, 60]))
    """
)


@pytest.mark.parametrize("guard", ["both", "watchdog only"])
def test_a_pool_s_workers_die_when_their_parent_is_killed(tmp_path: Path, guard: str) -> None:
    script = tmp_path / "pool.py"
    text = _POOL_SCRIPT
    if guard == "watchdog only":  # as on a system without prctl(2)
        text = text.replace(
            "from earwitness.processes import worker_pool",
            "from earwitness import processes\n"
            "from earwitness.processes import worker_pool\n"
            "processes._die_with_parent = lambda: None",
        )
    script.write_text(text)
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    workers = _wait_for_workers(process, 2)
    process.kill()
    process.wait()
    assert _assert_gone(workers) < 5


def test_a_stale_part_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs (reuse within the test is vanishingly rare)
    tag = owner_tag().replace(f"-{os.getpid()}~", f"-{dead.pid}~")
    stale = tmp_path / f".abc.wav{tag}x1y2.part"
    live = tmp_path / f".abc.wav{owner_tag()}z3.part"
    other_host = tmp_path / f".abc.wav.~elsewhere-{dead.pid}~q.part"
    for path in (stale, live, other_host):
        path.write_bytes(b"\0" * 1024)
    with atomic_output(tmp_path / "abc.wav") as temporary:
        temporary.write_bytes(b"new")
    assert not stale.exists()
    assert live.exists() and other_host.exists()  # a writer still runs, or may elsewhere
    assert remove_stale_temporaries(tmp_path) == []


def test_audio_add_killed_then_run_again_leaves_no_part_file(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    wav = tmp_path / "mix.wav"
    rng = np.random.default_rng(5)
    sf.write(wav, 0.1 * rng.standard_normal((48_000 * 120, 2)), 48_000, "PCM_24")  # 34 MB
    command = [sys.executable, "-m", "earwitness", "--study", str(study.root), "audio", "add"]
    process = subprocess.Popen(
        [*command, "--song", "s", "--version", "mix", str(wav)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(study.audio_dir.glob(".*.part")) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    process.kill()
    process.wait()
    assert list(study.audio_dir.glob(".*.part")), "the kill came too late to leave a part"
    again = run_cli("--study", str(study.root), "audio", "add", "--song", "t", "--version",
                    "mix", str(wav))  # fmt: skip
    assert again.code == 0, again.stderr
    assert list(study.audio_dir.glob(".*.part")) == []


def test_init_killed_leaves_only_private_staging_that_the_next_run_removes(
    tmp_path: Path,
) -> None:
    root = tmp_path / "study"
    process = subprocess.Popen(
        [sys.executable, "-m", "earwitness", "init", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and not _hidden_folders(tmp_path):
        assert time.monotonic() < deadline
        time.sleep(0.001)
    process.kill()  # while it stages the study
    process.wait()
    assert process.returncode == -signal.SIGKILL, "init finished before the kill"
    assert [p.name for p in tmp_path.iterdir()] == ["study"], "staging outside the study"
    staged = list(root.glob(f"{STAGING_PREFIX}*"))
    assert staged and all(p.stat().st_mode & 0o077 == 0 for p in staged), "not private"
    again = run_cli("init", str(root))
    assert again.code == 0, again.stderr
    assert list(root.glob(f"{STAGING_PREFIX}*")) == []
    assert (root / "secret.key").stat().st_mode & 0o077 == 0


def _hidden_folders(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.is_dir()]


def test_a_writing_command_removes_a_killed_run_s_staging(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = study.root / f"{STAGING_PREFIX}{owner_tag().replace(str(os.getpid()), str(dead.pid))}x"
    stale.mkdir(mode=0o700)
    (stale / "secret.key").write_text("00" * 32)
    assert run_cli("--study", str(study.root), "db", "upgrade").code == 0
    assert not stale.exists()


def test_a_running_init_s_staging_is_left_alone(tmp_path: Path) -> None:
    live = tmp_path / f"{STAGING_PREFIX}{owner_tag()}abc"
    live.mkdir()
    assert remove_stale_staging(tmp_path) == []
    assert live.is_dir()


def test_a_pool_left_open_can_be_closed_from_another_thread() -> None:
    """A generator that measures in a pool (``measure_files``) and is left unfinished is
    closed by the garbage collector in whatever thread runs it; restoring the SIGTERM
    handler there raised 'signal only works in main thread' (seen once in CI, from
    tests/analysis/test_batch.py)."""
    from earwitness.processes import worker_pool

    def results() -> Generator[int, None, None]:
        with worker_pool(1) as pool:
            yield pool.submit(abs, -1).result()
            yield pool.submit(abs, -2).result()

    before = signal.getsignal(signal.SIGTERM)
    left_open = results()
    try:
        assert next(left_open) == 1
        with ThreadPoolExecutor(1) as other_thread:  # .result() raises what escaped close()
            other_thread.submit(left_open.close).result(timeout=30)
    finally:
        signal.signal(signal.SIGTERM, before)
