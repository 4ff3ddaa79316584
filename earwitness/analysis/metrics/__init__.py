"""earwitness.analysis.metrics: what a master measures, and how masters differ.

Measure a recording (ITU-R BS.1770-4/5 and EBU R 128 loudness, true peak, spectrum,
stereo image), compare AI and human masters of one mix, and audit services.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as they load, for type checkers
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

# Names load on first use, so `earwitness audio measure` does not import what comparing
# or auditing need (scipy.signal, scipy.cluster) and `--help` imports nothing heavy.
_MODULES = {
    "EXTENDED_KEYS": "earwitness.analysis.metrics._measure",
    "METRIC_KEYS": "earwitness.analysis.metrics._measure",
    "AudioData": "earwitness.analysis.metrics._io",
    "AudioInfo": "earwitness.analysis.metrics._io",
    "align": "earwitness.analysis.metrics._compare",
    "LoudnessResult": "earwitness.analysis.metrics._loudness",
    "audio_info": "earwitness.analysis.metrics._io",
    "compare_versions": "earwitness.analysis.metrics._compare",
    "consistency": "earwitness.analysis.metrics._audit",
    "eq_curve": "earwitness.analysis.metrics._compare",
    "integrated_loudness": "earwitness.analysis.metrics._loudness",
    "k_weighting_coefficients": "earwitness.analysis.metrics._loudness",
    "long_term_spectrum": "earwitness.analysis.metrics._spectral",
    "loudness": "earwitness.analysis.metrics._loudness",
    "loudness_range": "earwitness.analysis.metrics._loudness",
    "measure_audio": "earwitness.analysis.metrics._measure",
    "measure_file": "earwitness.analysis.metrics._measure",
    "metric_deltas": "earwitness.analysis.metrics._compare",
    "null_test": "earwitness.analysis.metrics._compare",
    "preset_structure": "earwitness.analysis.metrics._audit",
    "read_audio": "earwitness.analysis.metrics._io",
    "sha256_file": "earwitness.analysis.metrics._io",
    "stereo_measures": "earwitness.analysis.metrics._stereo",
    "third_octave_bands": "earwitness.analysis.metrics._spectral",
    "true_peak": "earwitness.analysis.metrics._loudness",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
