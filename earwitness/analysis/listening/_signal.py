"""Signal steps of stimulus preparation: excerpt, alignment, fades, gain, anchors, PCM.

* Loudness: ITU-R BS.1770-4 integrated loudness and true peak (``earwitness.analysis.
  metrics``). Every stimulus of a test is brought by gain alone to one target
  ``T = min(-23, -max(PLR) - 1)`` LUFS, so that no stimulus exceeds -1 dBTP after gain
  (PLR = true peak minus integrated loudness, EBU Tech 3342/R 128 s1).
* Anchors: ITU-R BS.1534-3 §5.1 asks for a low-range anchor (the reference low-pass
  filtered at 3.5 kHz) and a mid-range anchor (7 kHz). The filter is a linear-phase
  Kaiser-window FIR whose pass band ends at the cut-off and whose transition band is
  1/7 of it (3.5-4.0 kHz), with 60 dB stop-band attenuation: it meets the mask that
  BS.1534-1 §4.1 gave for the 3.5 kHz anchor (ripple within ±0.1 dB up to the cut-off,
  at least 25 dB down at 4 kHz, 50 dB at 4.5 kHz) with margin, and the same mask scaled
  by 2 for 7 kHz. Its delay is compensated exactly (odd length), so anchors stay
  sample-aligned with the reference.
* Fades: raised-cosine (Hann half-window) fade-in and fade-out.
* PCM: 24-bit little-endian integer, rounded and clipped; quantisation error is
  below -140 dBFS, so no dither is needed at -23 LUFS.
* Per-download dither: every time a participant downloads a stimulus it is requantised
  at its own 24-bit depth with fresh TPDF dither of 2 LSB peak to peak (Lipshitz,
  Wannamaker & Vanderkooy 1992, "Quantization and dither: a theoretical survey", JAES
  40(5): TPDF of that width makes the error's mean and variance independent of the
  signal). Each sample moves by -1, 0 or +1 LSB (probabilities 1/8, 3/4, 1/8), an error
  of 0.5 LSB RMS, about -144 dBFS: inaudible, loudness and length unchanged, but no two
  downloads (the reference and the hidden reference, X and A or B) share their bytes.
"""

from __future__ import annotations

import math

import numpy as np

from earwitness.analysis.metrics import k_weighting_coefficients

__all__ = [
    "ANCHOR_TRANSITION",
    "BIT_DEPTH",
    "anchor_filter",
    "apply_fades",
    "loudest_start",
    "lowpass",
    "quantise",
    "redither",
    "target_loudness",
    "to_rate",
    "wav_bytes",
]

BIT_DEPTH = 24
ANCHOR_TRANSITION = 1.0 / 7.0  # transition band as a share of the cut-off (3.5 -> 4.0 kHz)
_STOP_DB = 60.0
_FULL_SCALE = float(2 ** (BIT_DEPTH - 1))


def target_loudness(plr_db: list[float]) -> float:
    """The common target T = min(-23, -max PLR - 1) LUFS (gain only, -1 dBTP ceiling)."""
    return min(-23.0, -max(plr_db) - 1.0)


def to_rate(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling to ``target`` Hz (scipy ``resample_poly``)."""
    if rate == target:
        return samples
    from scipy import signal

    g = math.gcd(rate, target)
    return np.asarray(signal.resample_poly(samples, target // g, rate // g, axis=0))


def loudest_start(
    samples: np.ndarray,
    rate: int,
    excerpt_s: float,
    hop_s: float = 0.1,
    *,
    lowest: int = 0,
    highest: int | None = None,
) -> float:
    """Start (s) of the excerpt with the most K-weighted energy (BS.1770 pre-filter),
    among starts from frame ``lowest`` to ``highest`` (where every version covers it)."""
    from scipy import signal

    length = round(excerpt_s * rate)
    last = len(samples) - length if highest is None else min(highest, len(samples) - length)
    if last <= lowest:
        return max(0, lowest) / rate
    b, a = k_weighting_coefficients(rate)
    weighted = signal.lfilter(b[0], a[0], samples, axis=0)
    weighted = signal.lfilter(b[1], a[1], weighted, axis=0)
    power = np.concatenate([[0.0], np.cumsum((weighted**2).sum(axis=1))])
    hop = max(1, round(hop_s * rate))
    starts = np.arange(max(0, lowest), last + 1, hop)
    energy = power[starts + length] - power[starts]
    return float(starts[int(np.argmax(energy))] / rate)


def apply_fades(samples: np.ndarray, rate: int, fade_ms: float) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of ``fade_ms`` each."""
    n = round(fade_ms * rate / 1000.0)
    out = np.array(samples, dtype=np.float64, copy=True)
    if n <= 0:
        return out
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    out[:n] *= ramp[:, None]
    out[-n:] *= ramp[::-1, None]
    return out


def anchor_filter(cutoff_hz: float, rate: int) -> np.ndarray:
    """Odd-length linear-phase Kaiser FIR: pass band to ``cutoff_hz``, stop band from 8/7 of it."""
    from scipy import signal

    width = cutoff_hz * ANCHOR_TRANSITION
    taps, beta = signal.kaiserord(_STOP_DB, width / (rate / 2.0))
    taps += 1 - taps % 2  # odd: a whole-sample delay
    return np.asarray(
        signal.firwin(taps, cutoff_hz + width / 2.0, window=("kaiser", beta), fs=rate)
    )


def lowpass(samples: np.ndarray, rate: int, cutoff_hz: float) -> np.ndarray:
    """The anchor: ``samples`` through :func:`anchor_filter`, delay removed, same length."""
    from scipy import signal

    fir = anchor_filter(cutoff_hz, rate)
    return np.asarray(signal.oaconvolve(samples, fir[:, None], mode="same", axes=0))


def quantise(samples: np.ndarray) -> np.ndarray:
    """Float [-1, 1) to 24-bit integers, rounded and clipped."""
    scaled = np.round(np.asarray(samples, dtype=np.float64) * _FULL_SCALE)
    return np.clip(scaled, -_FULL_SCALE, _FULL_SCALE - 1).astype(np.int32)


def dequantise(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.float64) / _FULL_SCALE


def wav_bytes(codes: np.ndarray, rate: int) -> bytes:
    """A canonical 44-byte-header PCM WAVE file (RIFF, ``fmt `` tag 1, ``data``), nothing else.

    The same frame count, rate and channel count always give the same byte size.
    """
    frames, channels = codes.shape
    width = BIT_DEPTH // 8
    data = np.ascontiguousarray(codes.astype("<i4")).view(np.uint8).reshape(frames, channels, 4)
    payload = data[:, :, :width].tobytes()
    block = channels * width
    header = b"".join(
        [
            b"RIFF",
            (36 + len(payload)).to_bytes(4, "little"),
            b"WAVE",
            b"fmt ",
            (16).to_bytes(4, "little"),
            (1).to_bytes(2, "little"),
            channels.to_bytes(2, "little"),
            rate.to_bytes(4, "little"),
            (rate * block).to_bytes(4, "little"),
            block.to_bytes(2, "little"),
            BIT_DEPTH.to_bytes(2, "little"),
            b"data",
            len(payload).to_bytes(4, "little"),
        ]
    )
    return header + payload


_HEADER = 44


def redither(wav: bytes, rng: np.random.Generator) -> bytes:
    """``wav`` (as :func:`wav_bytes` writes it) requantised with fresh TPDF dither."""
    if (
        wav[:4] != b"RIFF"
        or wav[8:16] != b"WAVEfmt "
        or int.from_bytes(wav[34:36], "little") != BIT_DEPTH
        or wav[36:40] != b"data"
    ):
        raise ValueError("not a canonical 24-bit PCM WAVE file")
    raw = np.frombuffer(wav, dtype=np.uint8, offset=_HEADER).reshape(-1, 3).astype(np.int32)
    codes = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
    codes = np.where(codes >= 1 << 23, codes - (1 << 24), codes)
    # codes already lie on the grid, so rounding code + TPDF(-1, 1) moves a code by
    # -1, 0 or +1 with probabilities 1/8, 3/4, 1/8: drawn directly, one byte per sample
    draw = rng.integers(0, 8, codes.shape, dtype=np.uint8)
    step = (draw == 7).astype(np.int32) - (draw == 0)
    moved = np.clip(codes + step, -(1 << 23), (1 << 23) - 1)
    data = np.ascontiguousarray(moved.astype("<i4")).view(np.uint8).reshape(-1, 4)[:, :3]
    return wav[:_HEADER] + data.tobytes()
