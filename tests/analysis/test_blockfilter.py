"""The numpy block IIR filter against scipy.signal.sosfilt (the reference implementation)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import signal

from earwitness.analysis.metrics._blockfilter import BlockFilter
from earwitness.analysis.metrics._loudness import k_weighting_coefficients


@pytest.mark.parametrize("rate", [8000, 44100, 48000, 96000, 192000])
@pytest.mark.parametrize("length", [1, 31, 32, 33, 1000, 70001])
def test_k_weighting_equals_sosfilt(rate: int, length: int) -> None:
    sections = np.hstack(k_weighting_coefficients(rate))
    x = np.random.default_rng(length).standard_normal(length)
    expected = signal.sosfilt(sections, x)
    got = BlockFilter(sections)(x)
    assert np.max(np.abs(got - expected)) <= 1e-9 * max(1.0, float(np.max(np.abs(expected))))


def test_state_carries_across_calls_of_any_length() -> None:
    sections = np.hstack(k_weighting_coefficients(44100))
    x = np.random.default_rng(0).standard_normal(50000).astype(np.float32)
    expected = signal.sosfilt(sections, x.astype(np.float64))
    k_filter = BlockFilter(sections)
    cuts = [0, 7, 40, 8192, 8200, 30001, 50000]
    got = np.concatenate([k_filter(x[a:b]) for a, b in itertools.pairwise(cuts)])
    assert np.max(np.abs(got - expected)) <= 1e-9


def test_impulse_response_of_a_single_biquad() -> None:
    sections = np.array([[0.2, 0.3, 0.1, 1.0, -0.5, 0.25]])
    impulse = np.zeros(200)
    impulse[0] = 1.0
    expected = signal.sosfilt(sections, impulse)
    assert np.allclose(BlockFilter(sections)(impulse), expected, rtol=0, atol=1e-14)
