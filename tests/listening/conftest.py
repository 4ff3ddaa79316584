"""A study with one song in three versions made from a real recording (shared/audio)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from earwitness.analysis.metrics._study import add_file, parse_version
from earwitness.store import Store
from earwitness.study import Study, init_study

SOURCE = "audio/Kevin_MacLeod_-_Vibe_Ace.ogg"


@pytest.fixture(scope="session")
def versions_dir(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """human, ai:landr (brighter, 10 ms late) and ai:ozone (saturated), 25 s of real music."""
    folder = tmp_path_factory.mktemp("versions")
    x, rate = sf.read(shared_dir / SOURCE, dtype="float32")
    x = x[: rate * 25]
    b, a = signal.butter(2, 3000 / (rate / 2), "high")
    bright = 0.3 * x + 0.3 * signal.lfilter(b, a, x, axis=0).astype("float32")
    late = np.concatenate([np.zeros((441, 2), "float32"), bright])[: len(x)]
    sf.write(folder / "human.wav", 0.5 * x, rate)
    sf.write(folder / "landr.wav", late, rate)
    sf.write(folder / "ozone.flac", np.tanh(2.5 * x) * 0.8, rate)
    return folder


@pytest.fixture
def audio_study(tmp_path: Path, versions_dir: Path) -> Iterator[tuple[Study, Store]]:
    study = init_study(tmp_path / "study", name="listening")
    with study.open_store() as store:
        for label, name in (
            ("human", "human.wav"),
            ("ai:landr", "landr.wav"),
            ("ai:ozone", "ozone.flac"),
        ):
            add_file(store, study, "vibe", parse_version(label), versions_dir / name)
        yield study, store
