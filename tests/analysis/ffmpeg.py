"""Run ffmpeg's ebur128 filter and parse its summary (for cross-checks and benchmarks)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_FIELDS = {
    "integrated_lufs": r"I:\s+(-?[\d.]+|-inf) LUFS",
    "lra_lu": r"LRA:\s+(-?[\d.]+) LU",
    "lra_low_lufs": r"LRA low:\s+(-?[\d.]+|-inf) LUFS",
    "lra_high_lufs": r"LRA high:\s+(-?[\d.]+|-inf) LUFS",
    "true_peak_dbtp": r"Peak:\s+(-?[\d.]+|-inf) dBFS",
}


def ebur128_summary(path: Path) -> dict[str, float]:
    completed = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = completed.stderr.rsplit("Summary:", 1)[-1]
    result = {}
    for key, pattern in _FIELDS.items():
        match = re.search(pattern, summary)
        if match is None:
            raise ValueError(f"ffmpeg summary without {key}: {summary!r}")
        result[key] = float(match.group(1))
    return result
