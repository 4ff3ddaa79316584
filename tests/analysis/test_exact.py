"""Chunked sums and order statistics give numpy's whole-array results bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from earwitness.analysis.metrics import _exact, _loudness
from earwitness.analysis.metrics._dynamics import DrMeter
from earwitness.analysis.metrics._series import Series
from earwitness.analysis.metrics._stereo import result_from_sums


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaves and chunks far smaller than the series, so every path is chunked."""
    monkeypatch.setattr(_exact, "LEAF", 129)
    monkeypatch.setattr(_exact, "CHUNK", 50)


def _spilled(values: np.ndarray) -> Series:
    series = Series(len(values), values.dtype, spill=True)
    series[0 : len(values)] = values
    return series


def _values(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, n)
    if n:
        values[rng.integers(0, n, n // 5)] = values[0]  # ties
    return values


@pytest.mark.parametrize("n", [0, 1, 9, 128, 129, 130, 1000, 8193, 20011])
def test_pairwise_sum_is_numpys(small: None, n: int) -> None:
    values = _values(n, n)
    stream = _exact.stream_of(_spilled(values))
    assert _exact.stream_sum(stream) == float(np.sum(values))
    if n:
        assert _exact.stream_sum(stream) / n == float(np.mean(values))


@pytest.mark.parametrize("n", [1, 2, 130, 3001])
def test_order_statistics_are_the_sorted_values(small: None, n: int) -> None:
    values = _values(n, n + 1)
    values[: n // 7] = 0.0  # more ties, at zero
    ordered = np.sort(values)
    stream = _exact.stream_of(_spilled(values))
    for rank in {0, n // 3, n // 2, n - 1}:
        assert _exact.select(stream, rank) == ordered[rank]
    for start, stop in [(0, n), (n // 4, n // 2 + 1), (n - 1, n)]:
        assert np.array_equal(_exact.sorted_range(stream, start, stop), ordered[start:stop])
    assert _exact.sorted_sum(stream, 0, n, n) == float(np.sum(ordered))
    top = max(1, n // 5)
    expected = float(np.mean(ordered[::-1][:top] ** 2)) * top
    got = _exact.sorted_sum(stream, 0, top, n, descending=True, transform=np.square)
    assert got == expected
    q = [10, 50, 90]
    assert _exact.percentiles(stream, n, q) == [float(v) for v in np.percentile(values, q)]


def _lufs_series(n: int, seed: int) -> np.ndarray:
    """10 Hz loudness: a programme between -45 and -8 LUFS, silences, digital silence."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-45.0, -8.0, n)
    values[rng.integers(0, n, n // 10)] = -90.0
    values[rng.integers(0, n, n // 20)] = -np.inf
    return values


@pytest.mark.parametrize("n", [400, 5003])
def test_gating_and_loudness_range_chunked_are_the_whole_arrays(
    monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    values = _lufs_series(n, n)
    whole = (
        _loudness.gated_integrated(values),
        _loudness.lra_from_short_term(values, "tech3342"),
        _loudness.lra_from_short_term(values, "libebur128"),
    )
    assert whole[0] is not None and whole[1] is not None and whole[2] is not None
    monkeypatch.setattr(_exact, "LEAF", 129)
    monkeypatch.setattr(_exact, "CHUNK", 70)
    series = _spilled(values)
    assert _loudness.gated_integrated(series) == whole[0]
    assert _loudness.lra_from_short_term(series, "tech3342") == whole[1]
    assert _loudness.lra_from_short_term(series, "libebur128") == whole[2]
    silent = _spilled(np.full(n, -np.inf))
    assert _loudness.gated_integrated(silent) is None
    assert _loudness.lra_from_short_term(silent, "tech3342") is None
    assert _loudness.lra_from_short_term(silent, "libebur128") is None


def _dr_as_arrays(squares: np.ndarray, peaks: np.ndarray, size: int) -> list[float | None]:
    """DR per channel from (blocks, channels) arrays, as it was computed before."""
    rms = np.sqrt(2.0 * squares / size)
    count = max(1, round(0.2 * len(rms)))
    result: list[float | None] = []
    for channel in range(rms.shape[1]):
        loudest = np.sort(rms[:, channel])[::-1][:count]
        top_rms = math.sqrt(float(np.mean(loudest**2)))
        ordered = np.sort(peaks[:, channel])[::-1]
        second = float(ordered[1] if len(ordered) > 1 else ordered[0])
        result.append(20.0 * math.log10(second / top_rms) if top_rms > 0 else None)
    return result


def test_dr_on_disk_is_the_arrays_dr(small: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from earwitness.analysis.metrics import _series

    monkeypatch.setattr(_series, "SPILL_SEGMENTS", 100)
    rate, channels, seconds = 1000, 3, 3 * 700  # 700 blocks of 3 s, 210 000 segments
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal((rate * seconds + 17, channels)) * 0.1).astype(np.float32)
    samples[: rate * 600] *= np.float32(3.0)  # a loud fifth, so the top 20 % is not random
    meter = DrMeter(rate, channels, len(samples), spill=_series.spills(len(samples) * 100 // rate))
    for start in range(0, len(samples), 4093):
        meter.feed(np.asfortranarray(samples[start : start + 4093]))
    assert meter.squares is not None and meter.squares.on_disk
    blocks = samples[: 700 * 3 * rate].reshape(700, 3 * rate, channels).astype(np.float64)
    squares = np.einsum("bsc,bsc->bc", blocks, blocks)
    peaks = np.abs(blocks).max(axis=1)
    dr, per_channel = meter.result()
    expected = _dr_as_arrays(np.array(list(meter.squares.array().reshape(-1, channels))),
                             peaks, 3 * rate)  # fmt: skip
    assert per_channel == expected and dr == float(np.mean([v for v in expected if v]))
    assert np.allclose(meter.squares.array().reshape(-1, channels), squares, rtol=1e-12)
    tail = samples[700 * 3 * rate :].astype(np.float64)
    stored = list(meter.squares.array().reshape(-1, channels))
    mean_square = (float(np.sum(stored)) + float((tail**2).sum())) / samples.size
    assert meter.mean_square() == pytest.approx(mean_square, rel=1e-15)


def test_stereo_sums_on_disk_give_the_arrays_result(small: None) -> None:
    rng = np.random.default_rng(3)
    n, size = 2000, 400
    left, right = rng.standard_normal((2, n)) * 30.0
    ll, rr = left**2 * 3, right**2 * 2
    lr = left * right
    ll[::9] = 1e-9  # silent blocks are left out
    tail = rng.standard_normal((2, 37)).astype(np.float32)
    whole = result_from_sums(lr, ll, rr, tail[0], tail[1], size)
    chunked = result_from_sums(_spilled(lr), _spilled(ll), _spilled(rr), tail[0], tail[1], size)
    assert chunked == whole and whole.correlation_mean is not None
