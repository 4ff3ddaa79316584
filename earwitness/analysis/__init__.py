"""earwitness.analysis: what people hear.

Three sub-packages, each with its own public API (names load on first use):

* :mod:`earwitness.analysis.metrics`: measure a recording (ITU-R BS.1770 and EBU R 128
  loudness, true peak, spectrum, stereo image), compare AI and human masters of one mix,
  and audit services. Its names are re-exported here.
* :mod:`earwitness.analysis.listening`: blind, loudness-matched listening tests.
* :mod:`earwitness.analysis.eqmoves`: the EQ operations that separate two masters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as they load, for type checkers
    from earwitness.analysis.metrics import (
        EXTENDED_KEYS,
        METRIC_KEYS,
        AudioData,
        AudioInfo,
        LoudnessResult,
        audio_info,
        compare_versions,
        consistency,
        eq_curve,
        integrated_loudness,
        k_weighting_coefficients,
        long_term_spectrum,
        loudness,
        loudness_range,
        measure_audio,
        measure_file,
        metric_deltas,
        null_test,
        preset_structure,
        read_audio,
        sha256_file,
        stereo_measures,
        third_octave_bands,
        true_peak,
    )

__all__ = [
    "EXTENDED_KEYS",
    "METRIC_KEYS",
    "AudioData",
    "AudioInfo",
    "LoudnessResult",
    "audio_info",
    "compare_versions",
    "consistency",
    "eq_curve",
    "integrated_loudness",
    "k_weighting_coefficients",
    "long_term_spectrum",
    "loudness",
    "loudness_range",
    "measure_audio",
    "measure_file",
    "metric_deltas",
    "null_test",
    "preset_structure",
    "read_audio",
    "sha256_file",
    "stereo_measures",
    "third_octave_bands",
    "true_peak",
]

# Names load on first use, so `earwitness audio measure` does not import what comparing
# or auditing need (scipy.signal, scipy.cluster) and `--help` imports nothing heavy.
_MODULES = dict.fromkeys(__all__, "earwitness.analysis.metrics")


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
