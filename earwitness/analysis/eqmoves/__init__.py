"""earwitness.analysis.eqmoves: the EQ moves that separate two masters of one song.

Reproduces Shtern, Casas & Tzerpos, "Evaluating Music Mastering Quality Using Machine
Learning" (2018): a trainee's master is rated by the equalisation operations that
separate it from a professional's master of the same song (fewer moves, better master).

* Operations: RBJ cookbook peaking biquads (:class:`EqOperation`,
  :func:`apply_operations`, :func:`operations_response_db`).
* The faithful reproduction: mean STFT magnitude features (:func:`mean_stft_magnitude`,
  :func:`paper_difference`) and a CatBoost MultiClass model over sets
  (:class:`ShternClassifier`; needs the ``eqmoves`` extra).
* The improved method: the log-spectral ratio of long-term spectra on a log-frequency
  grid, decoded over a dictionary of operation responses (:func:`decode_on_grid`,
  :func:`select_on_grid`, :func:`decode_free`), and :func:`estimate_moves` for two recordings.
"""

from __future__ import annotations

from earwitness.analysis.eqmoves._biquad import (
    peaking_coefficients,
    peaking_response_db,
    q_from_width,
    width_from_q,
)
from earwitness.analysis.eqmoves._decoder import (
    EqMovesResult,
    decode_free,
    decode_on_grid,
    select_on_grid,
)
from earwitness.analysis.eqmoves._estimate import estimate_moves, spectral_ratio
from earwitness.analysis.eqmoves._faithful import ShternClassifier
from earwitness.analysis.eqmoves._features import (
    LOG_GRID_HZ,
    log_frequency_grid,
    long_term_power,
    mean_stft_magnitude,
    paper_difference,
    spectral_ratio_db,
    stft_magnitude,
    to_mono,
)
from earwitness.analysis.eqmoves._operations import (
    EqOperation,
    apply_operations,
    operations_response_db,
)

__all__ = [
    "LOG_GRID_HZ",
    "EqMovesResult",
    "EqOperation",
    "ShternClassifier",
    "apply_operations",
    "decode_free",
    "decode_on_grid",
    "estimate_moves",
    "log_frequency_grid",
    "long_term_power",
    "mean_stft_magnitude",
    "operations_response_db",
    "paper_difference",
    "peaking_coefficients",
    "peaking_response_db",
    "q_from_width",
    "select_on_grid",
    "spectral_ratio",
    "spectral_ratio_db",
    "stft_magnitude",
    "to_mono",
    "width_from_q",
]
