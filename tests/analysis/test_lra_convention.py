"""LRA: EBU Tech 3342 (3 s values at 10 Hz) and libebur128's convention (one per second).

The libebur128 convention is checked against libebur128 itself (Debian's libebur128-1,
called through ctypes); Tech 3342 against the specification's cases in
test_loudness_spec.py and here against its own definition on the same clip.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis.metrics import loudness, loudness_range, measure_file

_LIBRARY = ctypes.util.find_library("ebur128")
needs_libebur128 = pytest.mark.skipif(_LIBRARY is None, reason="needs libebur128 (.ci/run)")
_MODE_LRA = (1 << 3) | (1 << 1) | 1  # EBUR128_MODE_LRA includes MODE_S and MODE_M


def libebur128_lra(x: np.ndarray, rate: int) -> float:
    lib = ctypes.CDLL(_LIBRARY)
    lib.ebur128_init.restype = ctypes.c_void_p
    lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    lib.ebur128_add_frames_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.ebur128_loudness_range.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]
    lib.ebur128_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    state = ctypes.c_void_p(lib.ebur128_init(x.shape[1], rate, _MODE_LRA))
    frames = np.ascontiguousarray(x, dtype=np.float32)
    assert lib.ebur128_add_frames_float(state, frames.ctypes.data, len(frames)) == 0
    out = ctypes.c_double()
    assert lib.ebur128_loudness_range(state, ctypes.byref(out)) == 0
    lib.ebur128_destroy(ctypes.byref(state))
    return out.value


def _stepped_clip(rate: int) -> np.ndarray:
    """10 s of simulated programme whose level jumps every 0.45 s (a drum-heavy intro)."""
    rng = np.random.default_rng(5)
    levels = np.repeat(rng.uniform(-42, -8, 23), round(0.45 * rate))[: rate * 10]
    noise = rng.standard_normal((len(levels), 2))
    return (10 ** (levels[:, None] / 20) * noise).astype(np.float32)


@needs_libebur128
@pytest.mark.parametrize("rate", [44100, 48000])
def test_the_two_conventions_differ_and_each_matches_its_reference(rate: int) -> None:
    x = _stepped_clip(rate)
    reference = libebur128_lra(x, rate)
    ours_libebur128 = loudness_range(x, rate, convention="libebur128")
    ours_tech3342 = loudness_range(x, rate)
    assert ours_libebur128 == pytest.approx(reference, abs=0.05)
    assert ours_tech3342 is not None and abs(ours_tech3342 - reference) > 0.3
    # Tech 3342 by its definition: every 10 Hz short-term value, nearest rank
    short_term = loudness(x, rate).short_term
    above = short_term[short_term > -70]
    power = 10 ** ((above + 0.691) / 10)
    gated = np.sort(above[above > -0.691 + 10 * np.log10(power.mean()) - 20])
    n = len(gated) - 1
    assert ours_tech3342 == pytest.approx(gated[round(0.95 * n)] - gated[round(0.1 * n)])


@needs_libebur128
def test_real_recordings_match_libebur128(shared_dir: Path) -> None:
    for path in sorted((shared_dir / "audio").glob("*.ogg")):
        x, rate = sf.read(path, dtype="float32", always_2d=True)
        report = measure_file(path, lra_convention="libebur128")
        assert report["lra_convention"] == "libebur128"
        assert report["lra_lu"] == pytest.approx(libebur128_lra(x, rate), abs=0.05), path.name
