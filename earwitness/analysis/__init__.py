"""earwitness.analysis: what people hear.

Three sub-packages, each with its own public API:

* :mod:`earwitness.analysis.metrics`: measure a recording (ITU-R BS.1770 and EBU R 128
  loudness, true peak, spectrum, stereo image), compare AI and human masters of one mix,
  and audit services. Its names are re-exported here.
* :mod:`earwitness.analysis.listening`: blind, loudness-matched listening tests.
* :mod:`earwitness.analysis.eqmoves`: the EQ operations that separate two masters.
"""

from __future__ import annotations

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
