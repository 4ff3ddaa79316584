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
    "DITHER_NOISE_LSB2",
    "IDENTICAL_BELOW_DB",
    "NEAR_IDENTICAL_BELOW_DB",
    "PRESET_THRESHOLD_DB",
    "PresetStructure",
    "consistency",
    "dither_floor_dbfs",
    "identical_below_db",
    "preset_structure",
]

# Residual of the null test, relative to the programme: below -30 dB two masters differ
# by less than audible masking thresholds of broadband difference signals in music
# typically allow. "Identical" is not a fixed level: see ``identical_below_db``.
NEAR_IDENTICAL_BELOW_DB = -30.0
PRESET_THRESHOLD_DB = 1.0
# Requantisation noise power per re-dither, in LSB^2 (Lipshitz, Wannamaker & Vanderkooy,
# "Quantization and dither: a theoretical survey", JAES 40(5), 1992): rounding alone
# adds D^2/12; rectangular (RPDF, 1 LSB) dither adds another D^2/12; triangular (TPDF,
# 2 LSB peak to peak, the usual mastering dither) adds D^2/6, for D^2/4 in all.
DITHER_NOISE_LSB2 = {"none": 1.0 / 12.0, "rpdf": 1.0 / 6.0, "tpdf": 1.0 / 4.0}
# Noise-shaped dithers raise the total power (they move it to where it is least audible);
# this margin admits shapers up to about 10 dB above flat TPDF, and float rounding.
IDENTICAL_MARGIN_DB = 10.0
IDENTICAL_BELOW_DB = -140.0  # 32-bit float files: rounding differences only
_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "ALAC_16": 16,
         "ALAC_20": 20, "ALAC_24": 24, "ALAC_32": 32}  # fmt: skip


def dither_floor_dbfs(bits: int, dither: str = "tpdf", copies: int = 2) -> float:
    """Noise power (dB re full-scale amplitude 1.0) of the difference of ``copies``
    independent re-dithers of one master at ``bits``: copies * DITHER_NOISE_LSB2 * D^2,
    with D = 2 / 2^bits. 16-bit TPDF: -96.3 dBFS per re-dither, -93.3 for two."""
    step = 2.0 / 2.0**bits
    return 10.0 * math.log10(copies * DITHER_NOISE_LSB2[dither] * step * step)


def file_bits(audio: AudioData) -> int | None:
    """Bit depth of an integer PCM file (None for float and lossy formats)."""
    return _BITS.get(audio.info.subtype)


def identical_below_db(
    first: AudioData, second: AudioData, dither: str = "tpdf"
) -> tuple[float, str]:
    """The residual (dB re the programme) below which two masters are the same master
    re-dithered: the dither floor of the coarser file relative to the programme's mean
    square, plus IDENTICAL_MARGIN_DB; and how it was derived."""
    depths = [b for b in (file_bits(first), file_bits(second)) if b is not None]
    samples = first.samples
    mean_square = sum(float(np.dot(c, c)) for c in samples.astype(np.float64).T) / max(
        samples.size, 1
    )
    if not depths or mean_square <= 0:
        return IDENTICAL_BELOW_DB, "float or lossy files: float rounding only"
    bits = min(depths)
    floor = dither_floor_dbfs(bits, dither) - 10.0 * math.log10(mean_square)
    basis = (
        f"{bits}-bit {dither.upper()} re-dither of both files: "
        f"{dither_floor_dbfs(bits, dither):.1f} dBFS against a programme at "
        f"{10.0 * math.log10(mean_square):.1f} dBFS RMS, plus {IDENTICAL_MARGIN_DB:g} dB"
    )
    return min(floor + IDENTICAL_MARGIN_DB, NEAR_IDENTICAL_BELOW_DB), basis


def classify_residual(residual_db: float | None, identical_db: float = IDENTICAL_BELOW_DB) -> str:
    if residual_db is None:
        return "undetermined"
    if residual_db <= identical_db:
        return "identical"
    if residual_db <= NEAR_IDENTICAL_BELOW_DB:
        return "near-identical"
    return "different"


def consistency(first: AudioData, second: AudioData, dither: str = "tpdf") -> dict[str, Any]:
    """Is the same mix, mastered twice by one service, identical, near-identical or different?

    Identical means: no larger than re-dithering one master at the files' bit depth
    would leave (``identical_below_db``), so two renders of one master that a service
    dithered independently still count as identical.
    """
    result = null_test(second, first)
    residual = result["residual_db"]
    identical, basis = identical_below_db(first, second, dither)
    return {
        "verdict": classify_residual(residual, identical),
        "residual_db": None if residual is None or math.isinf(residual) else residual,
        "bit_identical": bool(
            first.samples.shape == second.samples.shape
            and np.array_equal(first.samples, second.samples)
        ),
        "lag_ms": result.get("lag_ms"),
        "thresholds_db": {
            "identical": identical,
            "near_identical": NEAR_IDENTICAL_BELOW_DB,
        },
        "identical_basis": basis,
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
