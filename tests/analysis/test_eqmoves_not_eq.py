"""EQ moves count only EQ (issue 25): a limiter, an MP3 round trip and a change of sample
rate, each made by the real tool (ffmpeg's alimiter, libmp3lame, swresample) on a real
recording, are explained as what they are, not as moves; known moves survive them."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from earwitness.analysis.eqmoves import EqOperation, apply_operations, estimate_moves
from earwitness.analysis.eqmoves._biquad import peaking_response_db
from earwitness.analysis.eqmoves._decoder import decode_free
from earwitness.analysis.eqmoves._estimate import _db
from earwitness.analysis.eqmoves._features import LOG_GRID_HZ, long_term_power
from earwitness.analysis.eqmoves._nonlinear import (
    _lag_near,
    _overlap,
    align,
    band_weights,
    coherent_ratio_db,
    detect_lowpass,
    fast_gain,
    gain_envelope,
    incoherent_share,
    undo_gain,
)
from earwitness.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

RATE = 44100
MOVES = [
    EqOperation(120.0, 4.0, 1.0),
    EqOperation(900.0, -6.0, 0.5),
    EqOperation(5000.0, 3.0, 2.0),
]


RECORDINGS = ["Kevin_MacLeod_-_Vibe_Ace.ogg", "Karissa_Hobbs_-_Lets_Go_Fishin.ogg"]


@pytest.fixture(scope="module", params=RECORDINGS)
def clip(request: pytest.FixtureRequest, shared_dir: Path) -> np.ndarray:
    """20 s of a real recording, mono, peak at -12 dBFS."""
    x, rate = sf.read(shared_dir / "audio" / request.param, always_2d=True)
    assert rate == RATE
    mono = x.mean(axis=1)[30 * RATE : 50 * RATE]
    return np.asarray(mono / np.abs(mono).max() * 10 ** (-12 / 20))


def _ffmpeg(tmp: Path, x: np.ndarray, *args: str, via: str = "wav") -> tuple[np.ndarray, int]:
    source, coded, back = tmp / "in.wav", tmp / f"coded.{via}", tmp / "back.wav"
    sf.write(source, x, RATE, subtype="FLOAT")
    run = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run([*run, "-i", str(source), *args, str(coded)], check=True)
    if via != "wav":
        subprocess.run([*run, "-i", str(coded), "-c:a", "pcm_f32le", str(back)], check=True)
        coded = back
    y, rate = sf.read(coded, dtype="float64")
    return y, rate


def _limit(tmp: Path, x: np.ndarray, reduction_db: float = 6.0) -> tuple[np.ndarray, int]:
    limit = float(np.abs(x).max() * 10 ** (-reduction_db / 20))
    af = f"alimiter=limit={limit:.5f}:attack=5:release=50:level=false"
    return _ffmpeg(tmp, x, "-af", af, "-c:a", "pcm_f32le")


def _mp3(tmp: Path, x: np.ndarray) -> tuple[np.ndarray, int]:
    return _ffmpeg(tmp, x, "-c:a", "libmp3lame", "-q:a", "2", via="mp3")


def _to_48k(tmp: Path, x: np.ndarray) -> tuple[np.ndarray, int]:
    return _ffmpeg(tmp, x, "-ar", "48000", "-c:a", "pcm_f32le")


def _assert_moves(
    found: list[EqOperation], expected: list[EqOperation], gain_share: float = 0.0
) -> None:
    """Each move's centre within 1/6 octave (or an eighth of a broad move's width, where its
    centre is loosely defined) and its gain within 1 dB, or ``gain_share`` of the gain."""
    assert len(found) == len(expected), found
    for move, truth in zip(found, expected, strict=True):
        assert abs(math.log2(move.freq_hz / truth.freq_hz)) <= max(1 / 6, truth.width_oct / 8)
        tolerance = max(1.0, gain_share * abs(truth.gain_db))
        assert move.gain_db == pytest.approx(truth.gain_db, abs=tolerance)


@pytest.mark.parametrize("process", [_limit, _mp3, _to_48k], ids=["limit", "mp3", "48k"])
def test_no_move_for_what_is_not_eq(clip: np.ndarray, tmp_path: Path, process) -> None:  # type: ignore[no-untyped-def]
    candidate, rate = process(tmp_path, clip)
    result = estimate_moves((clip, RATE), (candidate, rate))
    assert result.count == 0, result.operations
    assert abs(result.overall_gain_db) < 0.2 or process is _limit


def test_a_limiter_is_reported_as_dynamics(clip: np.ndarray, tmp_path: Path) -> None:
    candidate, rate = _limit(tmp_path, clip, reduction_db=10.0)
    assert estimate_moves((clip, RATE), (candidate, rate)).dynamics_db > 1.0
    assert estimate_moves((clip, RATE), (clip * 0.5, RATE)).dynamics_db == 0.0


def test_an_mp3_round_trip_is_reported_as_a_lowpass(shared_dir: Path, tmp_path: Path) -> None:
    # Vibe Ace carries energy up to 20 kHz; Karissa Hobbs's Ogg source is itself cut near
    # 18 kHz, so LAME's low-pass shows there only as a few dB (left to the coherence weights)
    x, _ = sf.read(shared_dir / "audio" / "Kevin_MacLeod_-_Vibe_Ace.ogg")
    clip = x.mean(axis=1)[30 * RATE : 50 * RATE] * 0.25
    candidate, rate = _mp3(tmp_path, clip)
    result = estimate_moves((clip, RATE), (candidate, rate))
    assert result.lowpass_hz is not None and 15000 < result.lowpass_hz < 20500
    # the other way round: the encoded file as the reference
    assert estimate_moves((candidate, rate), (clip, RATE)).lowpass_hz is not None
    assert estimate_moves((clip, RATE), (clip, RATE)).lowpass_hz is None


@pytest.mark.parametrize("process", [_limit, _mp3, _to_48k], ids=["limit", "mp3", "48k"])
def test_known_moves_survive_what_is_not_eq(clip: np.ndarray, tmp_path: Path, process) -> None:  # type: ignore[no-untyped-def]
    # After 6 dB of limiting, Karissa Hobbs's first pass reads the limiter as broad boosts,
    # which leave only 0.8 dB of its fall with level: a bar of 1 dB missed it
    candidate, rate = process(tmp_path, apply_operations(clip, RATE, MOVES))
    result = estimate_moves((clip, RATE), (candidate, rate))
    _assert_moves(result.operations, MOVES)
    assert (result.dynamics_db > 0) == (process is _limit)


def test_band_weights_fall_to_zero_at_the_noise_floor() -> None:
    ref = np.array([0.0, -60.0, -75.0, -85.0, -95.0])
    weights = band_weights(ref, ref.copy())
    assert weights.tolist() == pytest.approx([1.0, 1.0, 0.75, 0.25, 0.0])
    assert band_weights(ref, np.zeros(5)).tolist() == pytest.approx(weights.tolist())


def test_lowpass_needs_a_drop_that_reaches_the_top() -> None:
    freqs = 1000.0 * 2.0 ** (np.arange(0, 4.4, 1 / 24))  # 1 kHz to about 20 kHz
    weights = np.ones_like(freqs)
    cut = np.where(freqs > 17000, -40.0, np.where(freqs > 16000, -10.0, 0.0))
    assert detect_lowpass(freqs, cut, weights) == pytest.approx(freqs[freqs > 16000][0])
    notch = np.where((freqs > 12000) & (freqs < 14000), -20.0, 0.0)  # recovers: an EQ cut
    assert detect_lowpass(freqs, notch, weights) is None
    assert detect_lowpass(freqs, -8.0 * (freqs > 18000), weights) is None  # too shallow


def test_eq_moves_csv_carries_gain_residual_and_what_is_not_eq(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal(RATE * 5) * 0.1
    sf.write(tmp_path / "a.wav", x, RATE)
    sf.write(tmp_path / "b.wav", apply_operations(x, RATE, MOVES[:1]) * 0.5, RATE)
    result = CliRunner().invoke(
        cli, ["audio", "eq-moves", str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), "--csv"]
    )
    assert result.exit_code == 0, result.output
    header, row = result.output.splitlines()[:2]
    summary = ("overall_gain_db", "residual_db_rms", "measured_from_hz", "measured_to_hz",
               "smallest_move_db")  # fmt: skip
    for column in ("freq_hz", *summary, "lowpass_hz", "dynamics_db"):
        assert column in header.split(",")
    assert float(row.split(",")[header.split(",").index("overall_gain_db")]) == pytest.approx(
        -6.02, abs=0.1
    )
    as_json = CliRunner().invoke(
        cli, ["audio", "eq-moves", str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), "--json"]
    )
    report = json.loads(as_json.output)
    assert report["dynamics_db"] == 0.0
    assert report["measured_from_hz"] == 20.0 and report["measured_to_hz"] > 19000.0  # white
    assert report["smallest_move_db"] == 0.5  # an EQ: the two files are linearly related


def test_repro_skips_an_unreadable_recording_with_a_line(shared_dir: Path, tmp_path: Path) -> None:
    from earwitness.analysis.eqmoves._datasets import DATASETS, make_sets
    from earwitness.analysis.eqmoves._repro import ReproConfig, _features

    bad = tmp_path / "broken.ogg"
    bad.write_bytes(b"OggS" + bytes(200))
    good = shared_dir / "audio" / "sorohanro_-_solo-trumpet-06.ogg"
    sets = {d.name: make_sets(d, 2, 1) for d in DATASETS}
    skipped: list[tuple[Path, str]] = []
    config = ReproConfig(clip_s=5.0, workers=1)
    features = _features(
        [bad, good], sets, config, "other genres", lambda p, r: skipped.append((p, r))
    )
    assert len(features) == 1
    assert [path for path, _ in skipped] == [bad] and skipped[0][1]


def test_a_limiters_lowest_bands_count_less_than_an_eqs(clip: np.ndarray, tmp_path: Path) -> None:
    # a fast limiter's products at 20-40 Hz differ between loud and quiet frames; an EQ's not
    grid = LOG_GRID_HZ[LOG_GRID_HZ < 20000]
    low = grid < 40
    limited, _ = _limit(tmp_path, clip, reduction_db=10.0)
    lag, _ = align(clip, limited, RATE)
    _, after_limiter = coherent_ratio_db(clip, limited, lag, RATE, grid)
    _, after_eq = coherent_ratio_db(clip, apply_operations(clip, RATE, MOVES), 0, RATE, grid)
    assert after_eq[low].mean() > 0.9
    assert after_limiter[low].mean() < 0.5 * after_eq[low].mean()


def test_an_offsetting_boost_and_cut_are_not_two_moves() -> None:
    grid = LOG_GRID_HZ[LOG_GRID_HZ < 20000]
    pair = [EqOperation(38.0, 6.7, 2.0), EqOperation(42.0, -6.8, 0.93)]
    ratio = peaking_response_db(
        grid,
        *(np.array([getattr(o, k) for o in pair]) for k in ("freq_hz", "gain_db", "width_oct")),
        RATE,
    ).sum(0)
    found = decode_free(ratio, np.ones(len(grid)), grid, RATE).operations
    opposed = [
        (a, b)
        for a in found
        for b in found
        if a.gain_db > 0 > b.gain_db and abs(math.log2(a.freq_hz / b.freq_hz)) < 0.5
    ]
    assert not opposed, found


@pytest.mark.parametrize("quality", [2, 5])
def test_moves_near_a_codecs_uncertain_bands_are_kept(
    shared_dir: Path, tmp_path: Path, quality: int
) -> None:
    """LAME's noise leaves the bands above about 3.5 kHz of this song uncertain, so a cut
    at 3 kHz sits at the edge of the well-measured band and one at 7.4 kHz beyond it; the
    edge rule dropped both, and the moves inside were bent to make up for them (a case of
    the dev split of benchmarks/bench_eqmoves_robust.py)."""
    clip = _clip(shared_dir, "Kevin_MacLeod_-_Vibe_Ace.ogg", 30)
    moves = [
        EqOperation(98.0, -2.8, 0.82),
        EqOperation(238.0, 8.9, 1.08),
        EqOperation(3004.0, -5.3, 1.8),
        EqOperation(7412.0, -4.2, 0.5),
    ]
    equalised = apply_operations(clip, RATE, moves)
    candidate, rate = _ffmpeg(
        tmp_path, equalised, "-c:a", "libmp3lame", "-q:a", str(quality), via="mp3"
    )
    _assert_moves(estimate_moves((clip, RATE), (candidate, rate)).operations, moves)


def _clip(shared_dir: Path, name: str, start_s: float, peak_db: float = -12.0) -> np.ndarray:
    """30 s from ``start_s`` (or the last 30 s, or the whole of a shorter recording), mono,
    peak at ``peak_db`` dBFS: the clips of benchmarks/bench_eqmoves_robust.py."""
    x, _ = sf.read(shared_dir / "audio" / name)
    mono = x.mean(axis=1)
    start = int(max(min(start_s, len(mono) / RATE - 30), 0) * RATE)
    mono = mono[start : start + 30 * RATE]
    return np.asarray(mono / np.abs(mono).max() * 10 ** (peak_db / 20))


TRUMPET = "sorohanro_-_solo-trumpet-06.ogg"


def test_a_move_the_decoder_cannot_measure_lies_outside_the_measured_band(
    shared_dir: Path, tmp_path: Path
) -> None:
    """After a limiter the solo trumpet's bands below its range keep too little coherent
    energy once the decoder's frame gain is taken out, and the 88 Hz cut is not found (the
    limiter's exact gain, fitted on knots every 16 samples to the equalised input, would
    recover it: benchmarks/bench_eqmoves_limiter_bound.py). The answer says so by its
    well-measured band, and inside it the 450 Hz cut is found (a case of the dev split of
    benchmarks/bench_eqmoves_robust.py)."""
    clip = _clip(shared_dir, TRUMPET, 0)  # the whole 5.3 s recording
    low, inside = EqOperation(88.0, -7.6, 1.05), EqOperation(450.0, -6.5, 0.92)
    equalised = apply_operations(clip, RATE, [low, inside])
    limited, rate = _limit(tmp_path, equalised, 9.0)
    result = estimate_moves((clip, RATE), (limited, rate))
    low_edge, high_edge = result.measured_band_hz
    assert low.freq_hz * 2 ** (low.width_oct / 2) < low_edge < inside.freq_hz
    assert high_edge > 8000.0
    _assert_moves([o for o in result.operations if o.freq_hz >= low_edge], [inside])
    plain = estimate_moves((clip, RATE), (equalised, RATE))
    assert plain.measured_band_hz[0] < low.freq_hz  # without the limiter it is measured
    _assert_moves(plain.operations, [low, inside])


@pytest.mark.parametrize("reduction_db", [9.30, 9.85, 9.94])
def test_a_limiter_alone_leaves_no_move_smaller_than_its_footprint(
    shared_dir: Path, tmp_path: Path, reduction_db: float
) -> None:
    """After a limiter's gain is divided out, the solo trumpet's loud and quiet frames
    still differ by up to half a decibel, and a broad -0.6 to -0.7 dB 'move' around 5 kHz
    was fitted to that footprint (three limiter-alone cases of the dev draws of
    benchmarks/bench_eqmoves_robust.py, limited at peak 1.0 as there)."""
    clip = _clip(shared_dir, TRUMPET, 0, peak_db=0.0)
    limited, rate = _limit(tmp_path, clip, reduction_db)
    result = estimate_moves((clip, RATE), (limited, rate))
    assert result.dynamics_db > 1.0
    assert result.count == 0, result.operations
    assert result.smallest_move_db == 1.0  # and the answer says what it cannot resolve


SUGAR_PLUM = "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.ogg"


@pytest.mark.parametrize(
    ("start_s", "moves"),
    [(45, []), (15, [EqOperation(1063.4, 9.85, 0.93)])],
    ids=["mp3-alone", "one-move"],
)
def test_a_codecs_footprint_is_not_a_move(
    shared_dir: Path, tmp_path: Path, start_s: int, moves: list[EqOperation]
) -> None:
    """LAME at -q:a 6 leaves most of this sparse recording's bands above 4 kHz without
    coherence, and a broad -0.5 dB 'move' (2.7 and 5.2 octaves wide) was fitted to what its
    quantiser dropped (an MP3-alone and an MP3 case of the dev draws of
    benchmarks/bench_eqmoves_robust.py)."""
    clip = _clip(shared_dir, SUGAR_PLUM, start_s)
    equalised = apply_operations(clip, RATE, moves)
    candidate, rate = _ffmpeg(tmp_path, equalised, "-c:a", "libmp3lame", "-q:a", "6", via="mp3")
    result = estimate_moves((clip, RATE), (candidate, rate))
    _assert_moves(result.operations, moves)
    assert result.smallest_move_db == 1.0


def test_only_linearly_related_files_resolve_moves_under_one_decibel(
    shared_dir: Path, tmp_path: Path
) -> None:
    clip = _clip(shared_dir, SUGAR_PLUM, 15)
    grid = LOG_GRID_HZ[LOG_GRID_HZ < 20000]
    small = [EqOperation(2000.0, 0.7, 1.0)]
    equalised = apply_operations(clip, RATE, small)
    mp3, _ = _ffmpeg(tmp_path, clip, "-c:a", "libmp3lame", "-q:a", "6", via="mp3")
    resampled, _ = _to_48k(tmp_path, equalised)
    shares = {}
    for name, candidate in (("eq", equalised), ("mp3", mp3)):
        energy = band_weights(*(_db(long_term_power(s, RATE, grid)) for s in (clip, candidate)))
        lag, _ = align(clip, candidate, RATE)
        _, coherent = coherent_ratio_db(clip, candidate, lag, RATE, grid)
        shares[name] = incoherent_share(energy, coherent)
    assert shares["eq"] < 0.02 and shares["mp3"] > 0.1, shares
    for candidate, rate in ((equalised, RATE), (resampled, 48000)):
        result = estimate_moves((clip, RATE), (candidate, rate))
        _assert_moves(result.operations, small)
        assert result.smallest_move_db == 0.5


@pytest.mark.parametrize(
    ("name", "start_s", "reduction_db", "moves"),
    [
        ("Kevin_MacLeod_-_Vibe_Ace.ogg", 45, 6.59, []),
        (
            SUGAR_PLUM,
            15,
            6.92,
            [
                EqOperation(215.9, 3.25, 0.55),
                EqOperation(581.4, -10.69, 0.99),
                EqOperation(1288.5, -6.74, 0.75),
                EqOperation(3895.0, -1.11, 1.99),
            ],
        ),
    ],
    ids=["limiter-alone", "four-moves"],
)
def test_a_light_limiter_is_found_by_its_loudest_frames(
    shared_dir: Path,
    tmp_path: Path,
    name: str,
    start_s: int,
    reduction_db: float,
    moves: list[EqOperation],
) -> None:
    """A limiter that touches only the loudest frames barely tilts gain against level over
    all frames; undetected, it was drawn as a -1.1 dB move at 73 Hz, or as a +19/-30 dB
    pair instead of the -10.7 dB cut (two cases of the dev draws of
    benchmarks/bench_eqmoves_robust.py, limited at peak 1.0 as there)."""
    clip = _clip(shared_dir, name, start_s)
    peak = float(np.abs(clip).max())
    equalised = apply_operations(clip, RATE, moves)
    limited, rate = _limit(tmp_path, equalised / peak, reduction_db)
    result = estimate_moves((clip, RATE), (limited * peak, rate))
    assert result.dynamics_db >= 1.0
    _assert_moves(result.operations, moves)


HUNGARIAN = "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg"


@pytest.mark.parametrize(
    ("name", "start_s", "quality", "moves"),
    [
        (
            HUNGARIAN,
            45,
            5,
            [
                EqOperation(63.72, 6.93, 1.19),
                EqOperation(346.94, -10.77, 0.92),
                EqOperation(9347.6, -11.71, 0.6),
            ],
        ),
        (
            TRUMPET,
            0,
            4,
            [
                EqOperation(79.0, 6.13, 0.75),
                EqOperation(1177.6, 3.81, 0.78),
                EqOperation(9404.0, -9.92, 0.54),
            ],
        ),
    ],
    ids=["strings-q5", "trumpet-q4"],
)
def test_a_cut_under_a_codecs_noise_is_placed_by_its_weakly_coherent_bands(
    shared_dir: Path,
    tmp_path: Path,
    name: str,
    start_s: int,
    quality: int,
    moves: list[EqOperation],
) -> None:
    """A deep cut lowers the signal under LAME's noise, so the cut's own bands have a
    coherence SNR of 2-4. Weighted 0 there, only the cut's lower flank was seen and it was
    decoded 1 kHz low and 3-5 dB too shallow (two MP3 cases of the dev draws of
    benchmarks/bench_eqmoves_robust.py); weighted a little, they place it."""
    clip = _clip(shared_dir, name, start_s)
    equalised = apply_operations(clip, RATE, moves)
    candidate, rate = _ffmpeg(
        tmp_path, equalised, "-c:a", "libmp3lame", "-q:a", str(quality), via="mp3"
    )
    found = estimate_moves((clip, RATE), (candidate, rate)).operations
    _assert_moves(found, moves, gain_share=0.15)  # the benchmark's gain tolerance
    for move, truth in zip(found, moves, strict=True):
        assert abs(math.log2(move.width_oct / truth.width_oct)) <= 0.5


def _block_gain_db(reference: np.ndarray, limited: np.ndarray, lag: int, block: int = 32):
    """The limiter's gain measured directly, by least squares over blocks of 32 samples of
    the aligned signals (there is no EQ between them): dB per block, the blocks' centres
    in the reference's positions, and which blocks carry enough energy to measure."""
    ref, out = _overlap(reference, limited, lag)
    n = len(ref) // block * block
    r, o = ref[:n].reshape(-1, block), out[:n].reshape(-1, block)
    energy = (r * r).sum(axis=1)
    gain = (r * o).sum(axis=1) / np.maximum(energy, 1e-30)
    centres = max(-lag, 0) + np.arange(len(energy)) * block + block // 2
    return 20 * np.log10(np.maximum(gain, 1e-6)), centres, energy > energy.max() * 1e-3


@pytest.mark.parametrize("name", [*RECORDINGS, TRUMPET])
def test_the_fast_gain_follows_a_limiter_closer_than_the_frame_gain(
    shared_dir: Path, tmp_path: Path, name: str
) -> None:
    """ffmpeg's alimiter (attack 5 ms) 8 dB below the peak: the gain measured in frames of
    256 samples above 1 kHz is nearer the limiter's own gain (measured over 32 samples)
    than the 512-sample frame gain is (measured 0.035 against 0.053 dB RMS on Vibe Ace,
    0.032 against 0.093 on Karissa Hobbs, 0.037 against 0.079 on the trumpet)."""
    clip = _clip(shared_dir, name, 30, peak_db=0.0)
    limited, _ = _limit(tmp_path, clip, 8.0)
    lag, _ = align(clip, limited, RATE)
    envelope = gain_envelope(clip, limited, lag)
    assert envelope is not None
    frame_gain = envelope[0]
    truth_db, centres, measured = _block_gain_db(clip, limited, lag)

    def error_db(gain: np.ndarray) -> float:
        off = 20 * np.log10(gain[centres][measured]) - truth_db[measured]
        return float(np.sqrt(np.mean((off - np.median(off)) ** 2)))

    fast = fast_gain(clip, limited, lag, RATE, frame_gain)
    assert error_db(fast) < 0.75 * error_db(frame_gain)


def _limited_at_peak(tmp: Path, x: np.ndarray, reduction_db: float) -> np.ndarray:
    """``x`` limited as benchmarks/bench_eqmoves_robust.py limits: scaled to peak 1.0 first
    (alimiter refuses a limit under 0.0625), then scaled back."""
    peak = float(np.abs(x).max())
    limited, _ = _limit(tmp, x / peak, reduction_db)
    return np.asarray(limited * peak)


def test_a_limited_case_of_the_dev_draws_is_exact_once_the_gain_follows_the_attack(
    shared_dir: Path, tmp_path: Path
) -> None:
    """Four moves, then 7.3 dB of limiting at peak 1.0 (case 43 of the dev draw with seed 8
    of benchmarks/bench_eqmoves_robust.py). With the 512-sample frame gain alone the 327 Hz
    boost came out 0.92 octave wide for 0.55, outside the benchmark's factor of 2^(1/2)."""
    moves = [
        EqOperation(108.452, -10.981, 1.3244),
        EqOperation(327.216, 3.0651, 0.55449),
        EqOperation(1448.37, -7.5201, 0.67483),
        EqOperation(3287.52, -2.9005, 0.52890),
    ]
    clip = _clip(shared_dir, RECORDINGS[1], 15)
    limited = _limited_at_peak(tmp_path, apply_operations(clip, RATE, moves), 7.29499)
    found = estimate_moves((clip, RATE), (limited, RATE)).operations
    _assert_moves(found, moves)
    for move, truth in zip(found, moves, strict=True):
        assert abs(math.log2(move.width_oct / truth.width_oct)) <= 0.5, (move, truth)


TRUMPET_LOW_MOVES = [EqOperation(115.057, 3.6211, 0.51565), EqOperation(235.442, -9.2232, 1.16703)]


@pytest.mark.parametrize("name", [*RECORDINGS, TRUMPET])
def test_a_limiter_is_undone_to_the_sample_once_the_eq_is_known(
    shared_dir: Path, tmp_path: Path, name: str
) -> None:
    """Given the equalised input, dividing the fitted gain out of alimiter's output leaves
    61-70 dB below the signal; the frame gain multiplied into the input, 22-45 dB."""
    equalised = apply_operations(_clip(shared_dir, name, 45), RATE, TRUMPET_LOW_MOVES)
    limited = _limited_at_peak(tmp_path, equalised, 9.308)
    lag, _ = align(equalised, limited, RATE)
    given, undone = _overlap(equalised, undo_gain(equalised, limited, lag), lag)
    undone_share = np.sum((undone - given) ** 2) / np.sum(given**2)
    envelope = gain_envelope(equalised, limited, lag)
    assert envelope is not None
    gain = fast_gain(equalised, limited, lag, RATE, envelope[0])
    modelled, out = _overlap(equalised * gain, limited, lag)
    frame_share = np.sum((out - modelled) ** 2) / np.sum(out**2)
    assert undone_share < 1e-5
    assert undone_share < frame_share / 10


def test_a_low_move_under_a_limiter_is_found_once_its_gain_is_undone(
    shared_dir: Path, tmp_path: Path
) -> None:
    """The solo trumpet, two moves, then 9.3 dB of limiting (case 29 of the dev draw with
    seed 12 of benchmarks/bench_eqmoves_robust.py). With the frame gain multiplied into the
    reference the +3.6 dB boost at 115 Hz was not found."""
    clip = _clip(shared_dir, TRUMPET, 45)
    limited = _limited_at_peak(tmp_path, apply_operations(clip, RATE, TRUMPET_LOW_MOVES), 9.308)
    found = estimate_moves((clip, RATE), (limited, RATE)).operations
    _assert_moves(found, TRUMPET_LOW_MOVES)
    for move, truth in zip(found, TRUMPET_LOW_MOVES, strict=True):
        assert abs(math.log2(move.width_oct / truth.width_oct)) <= 0.5, (move, truth)


def test_the_gain_is_fitted_at_the_lag_of_the_equalised_reference(
    shared_dir: Path, tmp_path: Path
) -> None:
    """Moves shift the cross-correlation's peak, so the lag of the raw reference is not the
    limiter's delay against the equalised one; the search near it finds that delay from a
    start up to 100 samples off."""
    clip = _clip(shared_dir, TRUMPET, 45)
    equalised = apply_operations(clip, RATE, TRUMPET_LOW_MOVES)
    limited = _limited_at_peak(tmp_path, equalised, 9.308)
    delay, _ = align(equalised, limited, RATE)
    raw, _ = align(clip, limited, RATE)
    assert raw != delay
    for start in (raw, delay - 100, delay + 100):
        assert _lag_near(equalised, limited, start) == delay
