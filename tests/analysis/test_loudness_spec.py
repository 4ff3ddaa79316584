"""EBU Tech 3341 (cases 1-6, 9-23) and Tech 3342 (cases 1-4) at 44.1 and 48 kHz.

Expected values and tolerances are the specifications' own: ±0.1 LU for loudness,
+0.2/-0.4 dB for true peak, ±1 LU for loudness range.
"""

from __future__ import annotations

import numpy as np
import pytest

from earwitness.analysis.metrics import _loudness as lo
from tests.analysis import signals as sig

pytestmark = pytest.mark.parametrize("rate", sig.RATES)


def _near(value: float | None, expected: float, tolerance: float = 0.1) -> None:
    assert value is not None
    assert abs(value - expected) <= tolerance, f"{value:.3f} is not {expected} ± {tolerance}"


def test_bs1770_coefficients_at_48k(rate: int) -> None:
    # BS.1770-4 Tables 1 and 2; other rates are checked by the cases below.
    b, a = lo.k_weighting_coefficients(48000)
    assert np.allclose(b[0], [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-8)
    assert np.allclose(a[0], [1.0, -1.69065929318241, 0.73248077421585], atol=1e-8)
    assert np.allclose(a[1], [1.0, -1.99004745483398, 0.99007225036621], atol=1e-8)
    assert np.allclose(b[1], [1.0, -2.0, 1.0])


@pytest.mark.parametrize("level", [-23.0, -33.0])
def test_cases_1_and_2_steady_sine(rate: int, level: float) -> None:
    result = lo.loudness(sig.tone_sequence([(level, 20.0)], rate), rate)
    for value in (result.integrated_lufs, result.momentary_max_lufs, result.short_term_max_lufs):
        _near(value, level)


@pytest.mark.parametrize(
    "steps",
    [
        [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],  # case 3: relative gate
        [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)],  # case 4
        [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],  # case 5
    ],
    ids=["case3", "case4", "case5"],
)
def test_cases_3_to_5_gating(rate: int, steps: list[tuple[float, float]]) -> None:
    _near(lo.integrated_loudness(sig.tone_sequence(steps, rate), rate), -23.0)


def test_case_6_five_channels_with_surround_weights(rate: int) -> None:
    _near(lo.integrated_loudness(sig.five_channel_case6(rate), rate), -23.0)


def test_case_6_with_silent_lfe(rate: int) -> None:
    five = sig.five_channel_case6(rate)
    loud_lfe = np.full((len(five), 1), 0.5, dtype=np.float32)  # LFE must not count
    six = np.concatenate([five[:, :3], loud_lfe, five[:, 3:]], axis=1)
    _near(lo.integrated_loudness(six, rate), -23.0)


def test_case_9_short_term_constant_after_3_s(rate: int) -> None:
    steps = [(-20.0, 1.34), (-30.0, 1.66)] * 5
    short_term = lo.loudness(sig.tone_sequence(steps, rate), rate).short_term
    assert len(short_term) > 100
    assert np.all(np.abs(short_term - -23.0) <= 0.1)


def test_case_10_short_term_max_at_any_offset(rate: int) -> None:
    for index in range(20):
        lead = 0.0123 * index
        signal = sig.tone_sequence([(None, 1.0 + lead), (-23.0, 3.0), (None, 1.0)], rate)
        _near(lo.loudness(signal, rate).short_term_max_lufs, -23.0)


def test_case_11_successive_short_term_maxima(rate: int) -> None:
    levels = [float(level) for level in range(-38, -18)]
    signal = sig.bursts(levels, 6.0, 3.0, rate)
    for index, level in enumerate(levels):
        piece = signal[round(index * 6.0 * rate) : round((index + 1) * 6.0 * rate)]
        _near(lo.loudness(piece, rate).short_term_max_lufs, level)


def test_case_12_momentary_constant_after_1_s(rate: int) -> None:
    steps = [(-20.0, 0.18), (-30.0, 0.22)] * 50
    momentary = lo.loudness(sig.tone_sequence(steps, rate), rate).momentary
    assert np.all(np.abs(momentary - -23.0) <= 0.1)


def test_case_13_momentary_max_at_any_offset(rate: int) -> None:
    for index in range(20):
        lead = 0.0071 * index
        signal = sig.tone_sequence([(None, 0.5 + lead), (-23.0, 0.4), (None, 0.5)], rate)
        _near(lo.loudness(signal, rate).momentary_max_lufs, -23.0)


def test_case_14_successive_momentary_maxima(rate: int) -> None:
    levels = [float(level) for level in range(-38, -18)]
    signal = sig.bursts(levels, 0.8, 0.4, rate)
    for index, level in enumerate(levels):
        piece = signal[round(index * 0.8 * rate) : round((index + 1) * 0.8 * rate)]
        _near(lo.loudness(piece, rate).momentary_max_lufs, level)


@pytest.mark.parametrize(
    ("divisor", "amplitude", "phase", "expected"),
    [(4, 0.5, 0.0, -6.0), (4, 0.5, 45.0, -6.0), (6, 0.5, 60.0, -6.0), (8, 0.5, 67.5, -6.0),
     (4, 1.41, 45.0, 3.0)],
    ids=["case15", "case16", "case17", "case18", "case19"],
)  # fmt: skip
def test_cases_15_to_19_true_peak_of_sines(
    rate: int, divisor: int, amplitude: float, phase: float, expected: float
) -> None:
    measured = lo.true_peak(sig.fs_fraction_sine(rate, divisor, amplitude, phase))
    assert expected - 0.4 <= measured <= expected + 0.2, measured


@pytest.mark.parametrize("offset", [0.0, 0.25, 0.5, 0.75], ids=["c20", "c21", "c22", "c23"])
def test_cases_20_to_23_intersample_peak(rate: int, offset: float) -> None:
    measured = lo.true_peak(sig.intersample_pulse(rate, offset))
    assert -0.4 <= measured <= 0.2, measured


def test_true_peak_sees_between_samples(rate: int) -> None:
    # case 16's samples peak at -9 dBFS while the waveform reaches -6 dBTP
    result = lo.loudness(sig.fs_fraction_sine(rate, 4, 0.5, 45.0), rate)
    assert result.sample_peak_dbfs is not None and result.true_peak_dbtp is not None
    assert result.sample_peak_dbfs == pytest.approx(-9.03, abs=0.01)
    assert result.true_peak_dbtp - result.sample_peak_dbfs > 2.5


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([(-20.0, 20.0), (-30.0, 20.0)], 10.0),
        ([(-20.0, 20.0), (-15.0, 20.0)], 5.0),
        ([(-40.0, 20.0), (-20.0, 20.0)], 20.0),
        ([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
    ],
    ids=["3342-1", "3342-2", "3342-3", "3342-4"],
)
def test_tech_3342_loudness_range(
    rate: int, steps: list[tuple[float, float]], expected: float
) -> None:
    _near(lo.loudness_range(sig.tone_sequence(steps, rate), rate), expected, 1.0)


def test_silence_and_short_signals_have_no_loudness(rate: int) -> None:
    silent = lo.loudness(np.zeros((rate * 5, 2), dtype=np.float32), rate)
    assert silent.integrated_lufs is None and silent.lra_lu is None
    short = lo.loudness(sig.tone_sequence([(-23.0, 0.2)], rate), rate)
    assert short.integrated_lufs is None and short.momentary_max_lufs is None
    assert short.true_peak_dbtp == pytest.approx(-23.0, abs=0.2)
