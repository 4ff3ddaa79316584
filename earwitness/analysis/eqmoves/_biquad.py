"""The peaking EQ of the RBJ Audio EQ Cookbook.

Robert Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter coefficients"
(W3C Audio EQ Cookbook, https://www.w3.org/TR/audio-eq-cookbook/):

    A = 10^(gain/40),  w0 = 2 pi f0 / Fs,  alpha = sin(w0) / (2 Q)
    b = (1 + alpha A, -2 cos w0, 1 - alpha A),  a = (1 + alpha/A, -2 cos w0, 1 - alpha/A)

The width in octaves maps to Q by the cookbook's analogue bandwidth relation
1/Q = 2 sinh(ln(2)/2 * BW), which gives the Q values Shtern et al. quote for
2, 1 and 1/2 octave (0.67, 1.41, 2.87; the paper rounds them to 0.7, 1.4, 2.8).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["peaking_coefficients", "peaking_response_db", "q_from_width", "width_from_q"]


def q_from_width(width_oct: float) -> float:
    """Q of a peaking filter ``width_oct`` octaves wide (cookbook, analogue BW relation)."""
    return 1.0 / (2.0 * math.sinh(math.log(2.0) / 2.0 * width_oct))


def width_from_q(q: float) -> float:
    return 2.0 / math.log(2.0) * math.asinh(1.0 / (2.0 * q))


def peaking_coefficients(
    freq_hz: float, gain_db: float, width_oct: float, sample_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised (b, a), a[0] = 1, of one peaking boost or cut."""
    amplitude = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * freq_hz / sample_rate
    alpha = math.sin(w0) / (2.0 * q_from_width(width_oct))
    cos_w0 = math.cos(w0)
    b = np.array([1.0 + alpha * amplitude, -2.0 * cos_w0, 1.0 - alpha * amplitude])
    a = np.array([1.0 + alpha / amplitude, -2.0 * cos_w0, 1.0 - alpha / amplitude])
    return b / a[0], a / a[0]


def peaking_response_db(
    freqs_hz: np.ndarray,
    freq_hz: np.ndarray | float,
    gain_db: np.ndarray | float,
    width_oct: np.ndarray | float,
    sample_rate: float,
) -> np.ndarray:
    """|H(e^jw)| in dB at ``freqs_hz`` for one or many filters (broadcast, filters first axis).

    Closed form of the cookbook biquad; vectorised so that a dictionary of thousands of
    operations costs one array expression.
    """
    f0 = np.atleast_1d(np.asarray(freq_hz, dtype=np.float64))[:, None]
    gain = np.atleast_1d(np.asarray(gain_db, dtype=np.float64))[:, None]
    width = np.atleast_1d(np.asarray(width_oct, dtype=np.float64))[:, None]
    amplitude = 10.0 ** (gain / 40.0)
    w0 = 2.0 * np.pi * f0 / sample_rate
    alpha = np.sin(w0) * np.sinh(np.log(2.0) / 2.0 * width)  # sin(w0) / (2Q)
    w = 2.0 * np.pi * np.asarray(freqs_hz, dtype=np.float64)[None, :] / sample_rate
    # |b0 + b1 e^-jw + b2 e^-2jw|^2 / 16 = (sin^2(w0/2) - sin^2(w/2))^2 + (alpha A sin(w) / 2)^2
    # for the cookbook's b (and with A -> 1/A for a): real arithmetic, a sum of squares with
    # no cancellation near DC, and no transcendental function over filters x frequencies.
    detune = (np.sin(w0 / 2.0) ** 2 - np.sin(w / 2.0) ** 2) ** 2
    bandwidth = alpha**2 * (np.sin(w) ** 2 / 4.0)
    num = detune + bandwidth * amplitude**2
    den = detune + bandwidth / amplitude**2
    return np.asarray(10.0 * np.log10(num / den))
