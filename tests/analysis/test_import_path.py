"""`earwitness audio measure` loads only what measuring needs (start-up is part of its time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

_CHILD = """
import json, sys
from earwitness.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("pandas", "scipy.signal", "scipy.cluster", "sqlalchemy", "scipy.fft", "numpy.ma",
         "scipy.fft._pocketfft.pypocketfft", "pyarrow")
print(json.dumps({name: name in sys.modules for name in heavy}), file=sys.stderr)
"""


def _loaded(*args: str) -> dict[str, bool]:
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin",
                                             "HF_HUB_OFFLINE": "1"}, check=False,
    )  # fmt: skip
    return dict(json.loads(completed.stderr.strip().splitlines()[-1]))


def test_measure_help_imports_nothing_heavy() -> None:
    assert not any(_loaded("audio", "measure", "--help").values())


def test_a_later_scipy_fft_import_reuses_the_loaded_transforms() -> None:
    import scipy.fft

    from earwitness.analysis.metrics import _spectral

    frames = np.random.default_rng(1).standard_normal((4, 2048)).astype(np.float32)
    assert np.array_equal(_spectral.rfft(frames), scipy.fft.rfft(frames, axis=1))
    assert scipy.fft._pocketfft.basic.pfft is _spectral._pocketfft()


def test_measuring_to_json_needs_no_pandas_signal_or_database(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(44100 * 2) / 44100)
    sf.write(path, tone, 44100)
    loaded = _loaded("audio", "measure", str(path), "--json")
    assert loaded["scipy.fft._pocketfft.pypocketfft"]  # the spectra's transforms
    assert not loaded["scipy.fft"]  # without the package around them (scipy.special...)
    assert not loaded["numpy.ma"]  # np.quantile imports it
    assert not (loaded["pandas"] or loaded["scipy.signal"] or loaded["scipy.cluster"])
    assert not loaded["sqlalchemy"]
    assert not loaded["pyarrow"]  # only a Dask scheduler's partitions need it (40 MiB)
