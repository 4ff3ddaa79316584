"""Write SYNTHETIC demo audio: one short 'mix' and three 'masters' of it.

No recording is involved: the mix is synthesised from a seeded random generator
(chords, a kick, hi-hats), and each 'master' applies a known EQ, gain and limiting,
so that `earwitness audio compare` has something to find. The "AI services" A and B
are stand-ins: nothing here was made by, or says anything about, a real service. Usage:

    python make_audio.py OUTDIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

RATE = 44_100
SECONDS = 8.0


def _mix(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(RATE * SECONDS)) / RATE
    left = np.zeros_like(t)
    right = np.zeros_like(t)
    for bar, root in enumerate([110.0, 146.83, 123.47, 98.0]):
        span = (t >= bar * 2) & (t < bar * 2 + 2)
        for ratio, pan in ((1.0, 0.5), (1.25, 0.3), (1.5, 0.7), (2.0, 0.5)):
            tone = 0.08 * np.sin(2 * np.pi * root * ratio * t) * np.exp(-0.6 * (t % 2))
            left[span] += (1 - pan) * tone[span]
            right[span] += pan * tone[span]
    beat = t % 0.5
    kick = 0.5 * np.sin(2 * np.pi * 55 * beat * (1 + 3 * np.exp(-30 * beat))) * np.exp(-12 * beat)
    hats = rng.normal(0, 1, t.size) * np.exp(-60 * ((t + 0.25) % 0.5)) * 0.05
    hats = signal.sosfilt(signal.butter(4, 7000, "highpass", fs=RATE, output="sos"), hats)
    return 0.3 * np.stack([left + kick + hats, right + kick + 0.8 * hats], axis=1)


def _master(
    mix: np.ndarray, *, low_db: float, high_db: float, gain_db: float, ceiling: float
) -> np.ndarray:
    low = signal.sosfilt(signal.butter(2, 150, "lowpass", fs=RATE, output="sos"), mix, axis=0)
    high = signal.sosfilt(signal.butter(2, 6000, "highpass", fs=RATE, output="sos"), mix, axis=0)
    shaped = mix + (10 ** (low_db / 20) - 1) * low + (10 ** (high_db / 20) - 1) * high
    loud = shaped * 10 ** (gain_db / 20)
    return ceiling * np.tanh(loud / ceiling)  # a soft limiter with its ceiling


VERSIONS = {
    "SYNTHETIC-mix.flac": None,
    "SYNTHETIC-human-master.flac": {"low_db": 1.5, "high_db": 1.0, "gain_db": 8.0, "ceiling": 0.89},
    "SYNTHETIC-ai-service-a-master.flac": {
        "low_db": 3.0,
        "high_db": 3.5,
        "gain_db": 13.0,
        "ceiling": 0.97,
    },
    "SYNTHETIC-ai-service-b-master.flac": {
        "low_db": -1.0,
        "high_db": 2.0,
        "gain_db": 11.0,
        "ceiling": 0.94,
    },
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    mix = _mix(np.random.default_rng(7))
    for name, settings in VERSIONS.items():
        audio = mix if settings is None else _master(mix, **settings)
        sf.write(out / name, audio.astype(np.float32), RATE, subtype="PCM_24")
        print(out / name)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
