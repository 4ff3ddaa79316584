"""earwitness.analysis.metrics: what a master measures, and how masters differ.

Measure a recording (ITU-R BS.1770-4/5 and EBU R 128 loudness, true peak, spectrum,
stereo image), compare AI and human masters of one mix, and audit services.
"""

from __future__ import annotations

from earwitness.analysis.metrics._audit import consistency, preset_structure
from earwitness.analysis.metrics._compare import (
    align,
    compare_versions,
    eq_curve,
    metric_deltas,
    null_test,
)
from earwitness.analysis.metrics._io import (
    AudioData,
    AudioInfo,
    audio_info,
    read_audio,
    sha256_file,
)
from earwitness.analysis.metrics._loudness import (
    LoudnessResult,
    integrated_loudness,
    k_weighting_coefficients,
    loudness,
    loudness_range,
    true_peak,
)
from earwitness.analysis.metrics._measure import (
    EXTENDED_KEYS,
    METRIC_KEYS,
    measure_audio,
    measure_file,
)
from earwitness.analysis.metrics._spectral import long_term_spectrum, third_octave_bands
from earwitness.analysis.metrics._stereo import stereo_measures

__all__ = [
    "EXTENDED_KEYS",
    "METRIC_KEYS",
    "AudioData",
    "AudioInfo",
    "LoudnessResult",
    "align",
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
