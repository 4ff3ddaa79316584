"""Audits of mastering services: consistency and preset structure.

Both follow questions raised about instant online mastering (e.g. Birtchnell,
"Listening without ears: artificial intelligence in audio mastering", Big Data &
Society 2018; Sterne & Razlogova, "Machine learning in context, or learning from
LANDR", Social Studies of Science 2019): does a service give the same result twice,
and does it apply a handful of fixed presets rather than a per-song treatment?
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from earwitness.analysis.metrics._compare import null_test
from earwitness.analysis.metrics._io import AudioData

__all__ = [
    "IDENTICAL_BELOW_DB",
    "NEAR_IDENTICAL_BELOW_DB",
    "PRESET_THRESHOLD_DB",
    "PresetStructure",
    "consistency",
    "preset_structure",
]

# Residual of the null test, relative to the programme. Below -90 dB only rounding
# or dither of a 16-bit file differs (its noise floor is about -96 dBFS against a
# programme near -6 dBFS RMS); below -30 dB the two differ by less than audible
# masking thresholds of broadband difference signals in music typically allow.
IDENTICAL_BELOW_DB = -90.0
NEAR_IDENTICAL_BELOW_DB = -30.0
PRESET_THRESHOLD_DB = 1.0


def classify_residual(residual_db: float | None) -> str:
    if residual_db is None:
        return "undetermined"
    if residual_db <= IDENTICAL_BELOW_DB:
        return "identical"
    if residual_db <= NEAR_IDENTICAL_BELOW_DB:
        return "near-identical"
    return "different"


def consistency(first: AudioData, second: AudioData) -> dict[str, Any]:
    """Is the same mix, mastered twice by one service, identical, near-identical or different?"""
    result = null_test(second, first)
    residual = result["residual_db"]
    return {
        "verdict": classify_residual(residual),
        "residual_db": None if residual is None or math.isinf(residual) else residual,
        "bit_identical": bool(
            first.samples.shape == second.samples.shape
            and np.array_equal(first.samples, second.samples)
        ),
        "lag_ms": result.get("lag_ms"),
        "thresholds_db": {
            "identical": IDENTICAL_BELOW_DB,
            "near_identical": NEAR_IDENTICAL_BELOW_DB,
        },
    }


@dataclass(frozen=True)
class PresetStructure:
    """Clusters of one service's EQ curves: how many distinct curves explain them."""

    n_curves: int
    n_distinct: int
    threshold_db: float
    labels: dict[str, int]
    distances_db: list[list[float]]


def curve_distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference (dB) of two EQ curves after removing their mean gain difference."""
    keep = np.isfinite(a) & np.isfinite(b)
    if not keep.any():
        return math.inf
    difference = a[keep] - b[keep]
    return float(np.sqrt(np.mean((difference - difference.mean()) ** 2)))


def preset_structure(
    curves: dict[str, np.ndarray], threshold_db: float = PRESET_THRESHOLD_DB
) -> PresetStructure:
    """Average-linkage hierarchical clustering of EQ curves, cut at ``threshold_db`` RMS.

    Curves closer than the threshold count as one preset; the number of clusters is
    the number of distinct curves that explain the service's treatments.
    """
    names = list(curves)
    count = len(names)
    matrix = np.zeros((count, count))
    for i in range(count):
        for j in range(i + 1, count):
            matrix[i, j] = matrix[j, i] = curve_distance(curves[names[i]], curves[names[j]])
    if count < 2:
        return PresetStructure(count, count, threshold_db, dict.fromkeys(names, 1), matrix.tolist())
    from scipy.cluster import hierarchy  # imported here: measuring does not need it

    condensed = matrix[np.triu_indices(count, 1)]
    tree = hierarchy.linkage(condensed, method="average")
    clusters = hierarchy.fcluster(tree, t=threshold_db, criterion="distance")
    labels = {name: int(cluster) for name, cluster in zip(names, clusters, strict=True)}
    return PresetStructure(count, len(set(clusters)), threshold_db, labels, matrix.tolist())
