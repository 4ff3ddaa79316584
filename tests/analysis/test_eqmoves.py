"""EQ moves (issue 13): operations, features and decoders against independent computations,
and recovery of known operations applied to real recordings (../shared/audio)."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
import soundfile as sf
from scipy import signal
from scipy.optimize import lsq_linear

from earwitness.analysis.eqmoves import (
    LOG_GRID_HZ,
    EqOperation,
    apply_operations,
    decode_on_grid,
    estimate_moves,
    mean_stft_magnitude,
    operations_response_db,
    peaking_coefficients,
    peaking_response_db,
    q_from_width,
    select_on_grid,
    spectral_ratio,
    stft_magnitude,
    width_from_q,
)
from earwitness.analysis.eqmoves._datasets import DATASETS, set_operations
from earwitness.analysis.eqmoves._decoder import _Problem
from earwitness.analysis.eqmoves._midi import MidiTrack, _vlq, midi_bytes
from earwitness.analysis.eqmoves._stats import wilson_interval

RATE = 44100
RECORDINGS = ("Kevin_MacLeod_-_Vibe_Ace.ogg", "Karissa_Hobbs_-_Lets_Go_Fishin.ogg")


@pytest.fixture(scope="module", params=RECORDINGS)
def clip(request: pytest.FixtureRequest, shared_dir: Path) -> np.ndarray:
    """20 s of a real recording from 30 s on, mono, peak at -12 dBFS (the paper's clips)."""
    x, rate = sf.read(shared_dir / "audio" / request.param, always_2d=True)
    assert rate == RATE
    mono = x.mean(axis=1)[30 * RATE : 50 * RATE]
    return np.asarray(mono / np.abs(mono).max() * 10 ** (-12 / 20))


def test_width_to_q_gives_the_papers_q_values() -> None:
    # Shtern et al. quote Q 0.7, 1.4 and 2.8 for 2, 1 and 1/2 octave
    assert [round(q_from_width(w), 1) for w in (2.0, 1.0, 0.5)] == [0.7, 1.4, 2.9]
    assert q_from_width(1.0) == pytest.approx(math.sqrt(2), rel=1e-12)
    for width in (0.3, 1.0, 2.5):
        assert width_from_q(q_from_width(width)) == pytest.approx(width, rel=1e-12)


@pytest.mark.parametrize(
    ("freq", "gain", "width"),
    [(32.7, 6.0, 0.5), (1000.0, -9.0, 1.0), (8000.0, 3.0, 2.0), (16744.0, 6.0, 0.25)],
)
def test_dictionary_response_matches_freqz(freq: float, gain: float, width: float) -> None:
    b, a = peaking_coefficients(freq, gain, width, RATE)
    freqs = np.geomspace(20, 20000, 300)
    _, h = signal.freqz(b, a, worN=freqs, fs=RATE)
    ours = peaking_response_db(freqs, freq, gain, width, RATE)[0]
    assert np.max(np.abs(ours - 20 * np.log10(np.abs(h)))) < 1e-9
    at_centre = peaking_response_db(np.array([freq]), freq, gain, width, RATE)[0, 0]
    assert at_centre == pytest.approx(gain, abs=1e-9)  # |H(w0)| = A^2 exactly
    # cookbook peaking: a cut is the exact inverse of the boost
    inverse = peaking_response_db(freqs, freq, -gain, width, RATE)[0]
    assert np.max(np.abs(ours + inverse)) < 1e-9


def test_applied_set_has_the_summed_response() -> None:
    operations = [
        EqOperation(100.0, 6.0, 1.0),
        EqOperation(2500.0, -4.0, 0.5),
        EqOperation(9000.0, 2.0, 2.0),
    ]
    impulse = np.zeros(1 << 17)
    impulse[0] = 1.0
    spectrum = np.fft.rfft(apply_operations(impulse, RATE, operations))
    freqs = np.fft.rfftfreq(len(impulse), 1 / RATE)
    band = (freqs > 20) & (freqs < 20000)
    measured = 20 * np.log10(np.abs(spectrum[band]))
    assert np.max(np.abs(measured - operations_response_db(operations, freqs[band], RATE))) < 1e-3


def test_stft_matches_scipy_and_librosa_conventions() -> None:
    rng = np.random.default_rng(1)
    y = rng.standard_normal(RATE)
    ours = stft_magnitude(y, 2048, 512)
    assert ours.shape == (1025, 1 + len(y) // 512)  # librosa's frame count with center=True
    window = signal.get_window("hann", 2048)
    _, _, z = signal.stft(
        y, window=window, nperseg=2048, noverlap=1536, boundary="zeros", padded=False, detrend=False
    )
    scipy_mag = np.abs(z) * window.sum()  # scipy scales by the window's sum
    frames = min(ours.shape[1], scipy_mag.shape[1])
    assert np.allclose(ours[:, :frames], scipy_mag[:, :frames], rtol=1e-9, atol=1e-9)
    librosa = pytest.importorskip("librosa")
    reference = np.abs(librosa.stft(y, n_fft=2048, hop_length=512))
    assert np.allclose(ours, reference, rtol=1e-4, atol=1e-4)


def test_mean_stft_magnitude_of_a_sine_is_half_the_window_sum() -> None:
    # worked example: a sine at bin k has |X[k]| = a * sum(w) / 2 = a * 512 for Hann 2048
    k, amplitude = 93, 0.25
    t = np.arange(30 * RATE) / RATE
    feature = mean_stft_magnitude(amplitude * np.sin(2 * np.pi * k * RATE / 2048 * t))
    assert feature.shape == (1024,)
    assert feature[k] == pytest.approx(amplitude * 512, rel=2e-3)  # edge frames pull it down
    assert int(np.argmax(feature)) == k


def test_grid_decoder_agrees_with_an_independent_solver() -> None:
    dataset = DATASETS[-1]  # 2-octave width, 1/4-octave spacing: the most collinear atoms
    grid = LOG_GRID_HZ
    truth = (3, 4, 5, 20, 21)
    ratio = operations_response_db(set_operations(dataset, truth), grid, RATE) - 1.7
    rng = np.random.default_rng(0)
    ratio_noisy = ratio + rng.normal(0, 0.05, len(grid))
    weights = np.ones(len(grid))
    ours, gain = decode_on_grid(ratio_noisy, weights, grid, RATE, dataset.grid_hz, 2.0)
    atoms = peaking_response_db(grid, dataset.grid_hz, 6.0, 2.0, RATE).T
    design = np.column_stack([atoms, np.ones(len(grid))])
    lower = np.r_[np.zeros(len(dataset.grid_hz)), -np.inf]
    upper = np.r_[np.full(len(dataset.grid_hz), np.inf), np.inf]
    independent = lsq_linear(design, ratio_noisy, bounds=(lower, upper), tol=1e-12).x
    assert np.allclose(ours, independent[:-1], atol=1e-4)
    assert gain == pytest.approx(independent[-1], abs=1e-4)
    assert select_on_grid(ratio_noisy, weights, grid, RATE, dataset.grid_hz, 2.0) == truth


def test_known_moves_on_a_real_recording_are_recovered(clip: np.ndarray) -> None:
    """Continuous centres and widths, boosts and cuts, and an overall gain."""
    operations = [
        EqOperation(72.0, 4.5, 1.3),
        EqOperation(410.0, -3.0, 0.7),
        EqOperation(2900.0, 2.5, 1.8),
        EqOperation(11000.0, -5.0, 0.9),
    ]
    equalised = apply_operations(clip, RATE, operations) * 10 ** (-1.5 / 20)
    result = estimate_moves((clip, RATE), (equalised, RATE))
    assert result.count == len(operations)
    for found, true in zip(result.operations, operations, strict=True):
        assert found.freq_hz == pytest.approx(true.freq_hz, rel=0.03)
        assert found.gain_db == pytest.approx(true.gain_db, abs=0.2)
        assert found.width_oct == pytest.approx(true.width_oct, rel=0.06)
        assert found.confidence > 0.8
    assert result.overall_gain_db == pytest.approx(-1.5, abs=0.1)
    assert result.residual_db_rms < 0.1


def test_pure_gain_needs_no_moves(clip: np.ndarray) -> None:
    result = estimate_moves((clip, RATE), (0.5 * clip, RATE))
    assert result.count == 0
    assert result.overall_gain_db == pytest.approx(20 * math.log10(0.5), abs=1e-6)
    assert result.residual_db_rms < 1e-6


@pytest.mark.parametrize("dataset", DATASETS, ids=[d.name for d in DATASETS])
def test_paper_sets_on_a_real_recording_are_recovered_exactly(
    dataset: object, shared_dir: Path
) -> None:
    x, _ = sf.read(shared_dir / "audio" / RECORDINGS[0], always_2d=True)
    mono = x.mean(axis=1)[30 * RATE : 60 * RATE]
    rng = np.random.default_rng(13)
    assert hasattr(dataset, "grid_hz")
    grid_size = len(dataset.grid_hz)  # type: ignore[attr-defined]
    for size in (1, 4, 7):
        truth = tuple(sorted(int(i) for i in rng.choice(grid_size, size, replace=False)))
        equalised = apply_operations(mono, RATE, set_operations(dataset, truth))  # type: ignore[arg-type]
        grid, ratio, weights, rate = spectral_ratio((mono, RATE), (equalised, RATE))
        chosen = select_on_grid(
            ratio,
            weights,
            grid,
            rate,
            dataset.grid_hz,  # type: ignore[attr-defined]
            dataset.width_oct,
        )  # type: ignore[attr-defined]
        assert chosen == truth


def test_wilson_interval_worked_values() -> None:
    low, high = wilson_interval(0, 10)
    z = NormalDist().inv_cdf(0.975)  # 1.95996...
    assert low == 0.0 and high == pytest.approx(z**2 / (10 + z**2), rel=1e-9)
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for hits, total in ((81, 263), (50, 50), (7, 21)):
        expected = proportion.proportion_confint(hits, total, alpha=0.05, method="wilson")
        assert wilson_interval(hits, total) == pytest.approx(expected, abs=1e-6)


def test_midi_file_follows_the_smf_layout() -> None:
    track = MidiTrack(0)
    track.program(30)
    track.note(0, 480, 60, 100)
    track.note(200_000, 480, 64, 100)  # a delta needing a three-byte quantity
    data = midi_bytes([track], 480, 120.0)
    assert data[:4] == b"MThd" and struct.unpack(">IHHH", data[4:14]) == (6, 1, 2, 480)
    conductor_length = struct.unpack(">I", data[18:22])[0]
    assert data[22:26] == b"\x00\xff\x51\x03"
    assert int.from_bytes(data[26:29], "big") == 500_000  # 120 BPM in microseconds per beat
    second = 22 + conductor_length
    assert data[second : second + 4] == b"MTrk"
    assert b"\x8c\x96\x60" in data  # 199,520 ticks (200,000 - 480) as a variable-length quantity
    assert data.endswith(b"\x00\xff\x2f\x00")


def test_variable_length_quantities_match_the_specification_examples() -> None:
    # MIDI 1.0 Standard MIDI Files, "Variable Length Quantity" examples
    examples = {
        0x00: "00",
        0x40: "40",
        0x7F: "7F",
        0x80: "81 00",
        0x2000: "C0 00",
        0x3FFF: "FF 7F",
        0x4000: "81 80 00",
        0x100000: "C0 80 00",
        0x1FFFFF: "FF FF 7F",
        0x200000: "81 80 80 00",
        0x0FFFFFFF: "FF FF FF 7F",
    }
    for value, expected in examples.items():
        assert _vlq(value) == bytes.fromhex(expected)


# Overlapping moves (issue 25): greedy selection first explains two overlapping moves by one
# broad one and the joint refinement stays there; splitting and swapping operations leave
# that local minimum. Cases of the dev draw of benchmarks/bench_eqmoves_overlap.py.
OVERLAPPING = [
    ("Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg",
     [(794.0, 5.5, 0.89), (1116.0, 3.9, 1.62)]),
    ("Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.ogg",
     [(494.0, 8.8, 1.91), (688.0, -1.6, 1.33)]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "moves"), OVERLAPPING, ids=["brahms", "tchaikovsky"])
def test_overlapping_moves_are_not_merged_into_fewer(
    shared_dir: Path, name: str, moves: list[tuple[float, float, float]]
) -> None:
    x, rate = sf.read(shared_dir / "audio" / name, always_2d=True)
    mono = x.mean(axis=1)[30 * rate : 60 * rate]
    reference = mono / np.abs(mono).max() * 10 ** (-12 / 20)
    operations = [EqOperation(*move) for move in moves]
    found = estimate_moves((reference, rate), (apply_operations(reference, rate, operations), rate))
    assert found.count == len(operations), found.operations
    for move, truth in zip(found.operations, operations, strict=True):
        assert abs(math.log2(move.freq_hz / truth.freq_hz)) < 1 / 6
        assert move.gain_db == pytest.approx(truth.gain_db, abs=max(1.0, 0.15 * abs(truth.gain_db)))
        assert abs(math.log2(move.width_oct / truth.width_oct)) < 0.5


def test_refinement_jacobian_matches_central_differences() -> None:
    freqs = LOG_GRID_HZ[LOG_GRID_HZ < 20000]
    ratio = operations_response_db([EqOperation(200.0, 5.0, 1.0)], freqs, RATE)
    problem = _Problem(ratio, np.linspace(0.2, 1.0, len(freqs)), freqs, RATE)
    params = np.array([0.3, math.log2(180.0), 4.0, 0.1, math.log2(3000.0), -7.0, -0.8])
    upper = np.full(len(params), np.inf)
    ours = problem.jacobian(params, upper)
    central = np.empty_like(ours)
    for i in range(len(params)):
        step = np.zeros(len(params))
        step[i] = 1e-6
        central[:, i] = (problem.residual(params + step) - problem.residual(params - step)) / 2e-6
    assert np.allclose(ours, central, rtol=1e-4, atol=1e-5)
