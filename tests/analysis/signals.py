"""Synthesised test signals of EBU Tech 3341 and Tech 3342 (and other known answers).

The EBU test set is distributed as WAV files; these are built from the signal
descriptions in the two specifications so that the suite needs no download. Cases
20-23 (inter-sample peaks of a band-limited pulse at four offsets) and the tone-burst
offsets of cases 10, 11, 13 and 14 are our own realisations of the described
signals, not the EBU files sample for sample.
"""

from __future__ import annotations

import numpy as np

RATES = (44100, 48000)


def sine(
    level_dbfs: float,
    seconds: float,
    rate: int,
    *,
    frequency: float = 1000.0,
    phase: float = 0.0,
    start: float = 0.0,
) -> np.ndarray:
    """A sine of peak level ``level_dbfs``; ``start`` continues the phase of a sequence."""
    n = np.arange(round(seconds * rate)) + round(start * rate)
    amplitude = 10.0 ** (level_dbfs / 20.0)
    return amplitude * np.sin(2.0 * np.pi * frequency * n / rate + phase)


def tone_sequence(
    steps: list[tuple[float | None, float]], rate: int, channels: int = 2
) -> np.ndarray:
    """Stereo 1 kHz steps of (level dBFS or None for silence, seconds), phase continuous."""
    parts, elapsed = [], 0.0
    for level, seconds in steps:
        if level is None:
            parts.append(np.zeros(round(seconds * rate)))
        else:
            parts.append(sine(level, seconds, rate, start=elapsed))
        elapsed += seconds
    mono = np.concatenate(parts)
    return np.repeat(mono[:, None], channels, axis=1).astype(np.float32)


def bursts(levels: list[float], segment_s: float, burst_s: float, rate: int) -> np.ndarray:
    """One tone burst per segment, each at its level, at offsets that do not fall on a
    10 ms grid, so that a meter must slide its window finely to catch each maximum."""
    steps: list[tuple[float | None, float]] = []
    for index, level in enumerate(levels):
        lead = 0.0137 * index % (segment_s - burst_s)
        steps += [(None, lead), (level, burst_s), (None, segment_s - burst_s - lead)]
    return tone_sequence(steps, rate)


def fs_fraction_sine(rate: int, divisor: int, amplitude: float, phase_deg: float) -> np.ndarray:
    """Tech 3341 cases 15-19: a stereo sine at fs/divisor with a given phase.

    It fades in and out over 50 ms: a sine switched on abruptly is not band-limited,
    and its reconstruction overshoots at the step (Gibbs), which no meter should read
    as the sine's peak.
    """
    n = np.arange(rate)  # 1 s
    x = amplitude * np.sin(2.0 * np.pi * n / divisor + np.deg2rad(phase_deg))
    fade = round(0.05 * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    return np.repeat(x[:, None], 2, axis=1).astype(np.float32)


def intersample_pulse(rate: int, offset: float, bandwidth: float = 0.8) -> np.ndarray:
    """Tech 3341 cases 20-23 in spirit: a band-limited pulse whose analogue peak is 1.0
    (0 dBTP) and lies ``offset`` of a sample after a sampling instant."""
    n = np.arange(-256, 257)
    x = np.sinc(bandwidth * (n - offset)) * np.kaiser(len(n), 12.0)
    x = np.concatenate([np.zeros(rate // 10), x, np.zeros(rate // 10)])
    return np.repeat(x[:, None], 2, axis=1).astype(np.float32)


def five_channel_case6(rate: int) -> np.ndarray:
    """Tech 3341 case 6: 5.0 (L, R, C, Ls, Rs) at -28, -28, -24, -30, -30 dBFS, 20 s."""
    levels = (-28.0, -28.0, -24.0, -30.0, -30.0)
    return np.stack([sine(level, 20.0, rate) for level in levels], axis=1).astype(np.float32)


def pink_noise(seconds: float, rate: int, seed: int = 7) -> np.ndarray:
    """Pink (1/f power) noise by spectral shaping of white noise; mono float64."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return x / np.abs(x).max() * 0.5
