"""Writes that survive interruption: real kill -9 of the command, a real full disk.

After any interruption the study holds either the old state or the new one: no audio
copy under a sha256 name that is not that file's sha256, no half study folder, no
export truncated over a good one, no renamed-over symlink or device.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.study import STAGING_PREFIX, Study, init_study
from tests.code.conftest import add_documents
from tests.helpers import fill_up, run_cli, small_filesystem


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wav(path: Path, seconds: float, seed: int = 5) -> Path:
    """Simulated audio: seeded noise at -20 dBFS (so no two files share a hash)."""
    rng = np.random.default_rng(seed)
    sf.write(path, 0.1 * rng.standard_normal((int(48_000 * seconds), 2)), 48_000, "PCM_24")
    return path


def _stored_copies_match_their_names(study: Study) -> None:
    for path in study.audio_dir.iterdir():
        if path.name.startswith("."):
            continue  # a temporary copy, never registered
        assert _sha256(path) == path.stem, f"{path.name} is not the file its name says"


def _add_command(study: Study, wav: Path) -> list[str]:
    return [sys.executable, "-m", "earwitness", "--study", str(study.root),
            "audio", "add", "--song", "s", "--version", "mix", str(wav)]  # fmt: skip


def _add(study: Study, wav: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_add_command(study, wav), capture_output=True, text=True, timeout=300)


def test_re_adding_repairs_a_damaged_copy(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    wav = _wav(tmp_path / "mix.wav", 2.0)
    digest = _sha256(wav)
    damaged = study.audio_dir / f"{digest}.wav"
    damaged.write_bytes(wav.read_bytes()[: wav.stat().st_size // 2])  # what a kill left
    result = _add(study, wav)
    assert result.returncode == 0, result.stderr
    assert "replaced" in result.stdout
    assert _sha256(damaged) == digest
    measured = run_cli("--study", str(study.root), "audio", "measure", "--json")
    assert measured.code == 0, measured.stderr


def test_audio_add_on_a_full_disk_leaves_no_false_copy(tmp_path: Path) -> None:
    wav = _wav(tmp_path / "mix.wav", 6.0)  # 1.7 MB: more than the disk has
    with small_filesystem(tmp_path / "fs", "2m") as fs:
        study = init_study(fs / "study")
        fill_up(fs, leave=600_000)
        result = _add(study, wav)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "no space left" in result.stderr
        assert list(study.audio_dir.iterdir()) == []


def test_kill_9_during_audio_add_never_leaves_a_false_copy(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    wav = _wav(tmp_path / "mix.wav", 120.0)  # 34 MB, so the copy takes a while
    rng = random.Random(18)
    for _attempt in range(6):
        for path in study.audio_dir.iterdir():
            path.unlink()
        process = subprocess.Popen(
            _add_command(study, wav),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not any(study.audio_dir.iterdir()) and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.02))
        process.send_signal(signal.SIGKILL)
        process.wait()
        _stored_copies_match_their_names(study)
    result = _add(study, wav)
    assert result.returncode == 0, result.stderr
    _stored_copies_match_their_names(study)
    assert (study.audio_dir / f"{_sha256(wav)}.wav").is_file()


def test_kill_9_during_init_leaves_a_study_or_nothing(tmp_path: Path) -> None:
    rng = random.Random(7)
    for attempt in range(6):
        root = tmp_path / f"study{attempt}"
        process = subprocess.Popen(
            [sys.executable, "-m", "earwitness", "init", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if (root / "earwitness.toml").exists():
            assert run_cli("--study", str(root), "status").code == 0
        else:
            left = sorted(root.iterdir()) if root.exists() else []
            assert all(p.name.startswith(STAGING_PREFIX) for p in left), left  # next run's
            again = run_cli("init", str(root))
            assert again.code == 0, again.stderr


# --- exports -----------------------------------------------------------------------------


@pytest.fixture
def documents_study(tmp_path: Path) -> Study:
    study = init_study(tmp_path / "study")
    with study.open_store() as store:
        add_documents(store)
    return study


def test_export_qdpx_refuses_a_symlink_target(documents_study: Study, tmp_path: Path) -> None:
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("keep me")
    link = tmp_path / "project.qdpx"
    link.symlink_to(elsewhere)
    result = run_cli("--study", str(documents_study.root), "code", "export-qdpx", str(link))
    assert result.code == 2
    assert "symbolic link" in result.stderr and result.stderr.count("\n") == 1
    assert link.is_symlink() and elsewhere.read_text() == "keep me"


def test_export_qdpx_refuses_a_device_node(documents_study: Study, tmp_path: Path) -> None:
    node = tmp_path / "device.qdpx"
    try:
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs root")
    result = run_cli("--study", str(documents_study.root), "code", "export-qdpx", str(node))
    assert result.code == 2
    assert "not a regular file" in result.stderr
    assert stat.S_ISCHR(node.lstat().st_mode)


def test_export_qdpx_needs_the_qdpx_extension_unless_forced(
    documents_study: Study, tmp_path: Path
) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    refused = run_cli("--study", str(documents_study.root), "code", "export-qdpx", str(target))
    assert refused.code == 2 and ".qdpx" in refused.stderr
    assert target.read_text() == "my notes"
    forced = run_cli(
        "--study", str(documents_study.root), "code", "export-qdpx", str(target), "--force"
    )
    assert forced.code == 0, forced.stderr
    assert target.read_bytes()[:2] == b"PK"
