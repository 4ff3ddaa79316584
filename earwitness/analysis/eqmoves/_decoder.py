"""Decoding EQ operations from a log-spectral ratio.

Cascaded filters multiply, so their dB responses add: the ratio R(f) (dB) of two
long-term spectra is g0 + sum_k H_k(f) with H_k a peaking operation's dB response.

* :func:`decode_on_grid` knows the candidate centres (a note grid) and the width, as
  the paper's datasets define them: bounded linear least squares over the dictionary of
  operation responses (one column per centre) plus an overall gain; an operation is
  present when its coefficient exceeds one half.
* :func:`decode_free` knows nothing: greedy selection over a dictionary of responses on
  a 1/12-octave grid of centres and several widths (orthogonal matching pursuit with one
  signed atom per centre and width, since a cookbook cut is the exact inverse of the boost),
  then a joint non-linear least-squares refinement of every centre, gain and width and of
  the overall gain after each addition. It stops when another operation no longer lowers
  the weighted residual by ``min_improvement`` (relative) and ``tol_db`` (absolute); then
  splitting one operation in two, or swapping one, is tried (overlapping moves otherwise
  stay merged into one broad one), and selection resumes from any arrangement that helps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares, nnls

from earwitness.analysis.eqmoves._biquad import peaking_response_db
from earwitness.analysis.eqmoves._operations import EqOperation

__all__ = ["MIN_GAIN_DB", "EqMovesResult", "decode_free", "decode_on_grid", "select_on_grid"]

_ATOM_GAIN_DB = 6.0
_WIDTHS = (0.33, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
MIN_GAIN_DB = 0.5  # the smallest operation :func:`decode_free` reports by default


@dataclass
class EqMovesResult:
    """Operations taking the reference to the candidate, with what they leave unexplained.

    ``measured_band_hz`` is the well-measured band: from the lowest to the highest band
    with at least half the largest weight. Outside it the two files share little coherent
    energy (beyond a recording's range, under a codec's noise, after a limiter), so a move
    there may be missed or misjudged, and no move there is no evidence of none.
    ``smallest_move_db`` is the smallest operation the answer reports: smaller ones were
    dropped, so no move of that size is no evidence of none either."""

    operations: list[EqOperation]
    overall_gain_db: float
    residual_db_rms: float
    freqs_hz: np.ndarray = field(repr=False)
    ratio_db: np.ndarray = field(repr=False)
    fitted_db: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    measured_band_hz: tuple[float, float]
    smallest_move_db: float
    lowpass_hz: float | None = None
    dynamics_db: float = 0.0

    @property
    def count(self) -> int:
        return len(self.operations)

    @property
    def curve_error_db_rms(self) -> float:
        """RMS (dB) of measured minus fitted curve over the usable bands."""
        return self.residual_db_rms

    def as_dict(self, *, curve: bool = False) -> dict[str, Any]:
        report: dict[str, Any] = {
            "operations": [o.as_dict() for o in self.operations],
            "count": self.count,
            "overall_gain_db": float(self.overall_gain_db),
            "residual_db_rms": float(self.residual_db_rms),
            "measured_from_hz": float(self.measured_band_hz[0]),
            "measured_to_hz": float(self.measured_band_hz[1]),
            "smallest_move_db": float(self.smallest_move_db),
            "lowpass_hz": None if self.lowpass_hz is None else float(self.lowpass_hz),
            "dynamics_db": float(self.dynamics_db),
        }
        if curve:
            report["curve"] = {
                "freq_hz": self.freqs_hz.tolist(),
                "ratio_db": self.ratio_db.tolist(),
                "fitted_db": self.fitted_db.tolist(),
            }
        return report


def _rms(residual: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    return math.sqrt(float((weights * residual**2).sum()) / total) if total > 0 else 0.0


def decode_on_grid(
    ratio_db: np.ndarray,
    weights: np.ndarray,
    freqs_hz: np.ndarray,
    sample_rate: float,
    centres_hz: np.ndarray,
    width_oct: float,
    gain_db: float = _ATOM_GAIN_DB,
) -> tuple[np.ndarray, float]:
    """Coefficients (1 = one operation of ``gain_db`` at that centre) and overall gain.

    Non-negative least squares (Lawson & Hanson) after the overall gain is projected out
    by removing each column's weighted mean.
    """
    atoms = peaking_response_db(freqs_hz, centres_hz, gain_db, width_oct, sample_rate).T
    w = np.asarray(weights, dtype=np.float64)
    total = max(float(w.sum()), 1e-12)
    atoms_c = atoms - (w @ atoms) / total
    ratio_c = ratio_db - (w @ ratio_db) / total
    root = np.sqrt(w)
    coefficients, _ = nnls(atoms_c * root[:, None], ratio_c * root, maxiter=50 * atoms.shape[1])
    gain = float(w @ (ratio_db - atoms @ coefficients) / total)
    return np.asarray(coefficients), gain


def _sse(residual: np.ndarray, weights: np.ndarray) -> float:
    centred = residual - (weights @ residual) / weights.sum()  # overall gain refitted
    return float(weights @ centred**2)


def select_on_grid(
    ratio_db: np.ndarray,
    weights: np.ndarray,
    freqs_hz: np.ndarray,
    sample_rate: float,
    centres_hz: np.ndarray,
    width_oct: float,
    gain_db: float = _ATOM_GAIN_DB,
    max_operations: int = 7,
) -> tuple[int, ...]:
    """The set of grid centres whose operations best explain ``ratio_db``.

    Starts from :func:`decode_on_grid`'s coefficients rounded to 0 or 1, then takes the best
    single step (add, remove or move one centre; at most ``max_operations``) while the
    weighted squared residual falls: a local search over binary sets, needed where
    neighbouring responses overlap so much (2-octave widths 1/4 octave apart) that rounding
    alone misplaces a move.
    """
    coefficients, _ = decode_on_grid(
        ratio_db, weights, freqs_hz, sample_rate, centres_hz, width_oct, gain_db
    )
    atoms = peaking_response_db(freqs_hz, centres_hz, gain_db, width_oct, sample_rate)
    chosen = np.round(np.clip(coefficients, 0.0, 1.0)).astype(bool)
    if not chosen.any():
        chosen[int(np.argmax(coefficients))] = True
    best = _sse(ratio_db - atoms[chosen].sum(0), weights)
    while True:
        trials = [(_sse(ratio_db - atoms[trial].sum(0), weights), i)
                  for i, trial in enumerate(_neighbours(chosen, max_operations))]  # fmt: skip
        if not trials or min(trials)[0] >= best - 1e-12:
            return tuple(int(i) for i in np.flatnonzero(chosen))
        best, index = min(trials)
        chosen = _neighbours(chosen, max_operations)[index]


def _neighbours(chosen: np.ndarray, max_operations: int) -> list[np.ndarray]:
    """Sets one step away: one centre added or removed, or one centre moved elsewhere."""
    out = []
    for k in range(len(chosen)):
        trial = chosen.copy()
        trial[k] = not trial[k]
        if 0 < trial.sum() <= max_operations:
            out.append(trial)
    for old in np.flatnonzero(chosen):
        for new in np.flatnonzero(~chosen):
            trial = chosen.copy()
            trial[old], trial[new] = False, True
            out.append(trial)
    return out


@dataclass
class _Fit:
    params: np.ndarray  # [g0, (log2 f, gain, log2 width) * k]
    rms: float


def _unpack(params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    ops = params[1:].reshape(-1, 3)
    return float(params[0]), 2.0 ** ops[:, 0], ops[:, 1], 2.0 ** ops[:, 2]


def _model(params: np.ndarray, freqs: np.ndarray, sample_rate: float) -> np.ndarray:
    g0, centres, gains, widths = _unpack(params)
    if len(centres) == 0:
        return np.full(len(freqs), g0)
    return np.asarray(g0 + peaking_response_db(freqs, centres, gains, widths, sample_rate).sum(0))


class _Problem:
    def __init__(
        self, ratio: np.ndarray, weights: np.ndarray, freqs: np.ndarray, sample_rate: float
    ) -> None:
        self.ratio, self.weights, self.freqs, self.sample_rate = ratio, weights, freqs, sample_rate
        self.root = np.sqrt(weights)
        usable = freqs[weights > 0]
        self.f_low = float(usable.min()) if len(usable) else float(freqs[0])
        self.f_high = float(min(usable.max() if len(usable) else freqs[-1], 0.45 * sample_rate))

    def well_measured(self) -> tuple[float, float]:
        """Lowest and highest band whose weight is at least half the largest."""
        good = self.freqs[self.weights >= 0.5 * max(float(self.weights.max()), 1e-12)]
        return (float(good.min()), float(good.max())) if len(good) else (self.f_low, self.f_high)

    def rms(self, params: np.ndarray, bands: np.ndarray | slice = slice(None)) -> float:
        """Weighted RMS residual of ``params`` (over ``bands`` alone, when given)."""
        error = self.ratio - _model(params, self.freqs, self.sample_rate)
        return _rms(error[bands], self.weights[bands])

    def residual(self, params: np.ndarray) -> np.ndarray:
        return np.asarray(self.root * (self.ratio - _model(params, self.freqs, self.sample_rate)))

    def jacobian(self, params: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Forward differences of :meth:`residual`, with scipy's steps (sqrt(eps) max(1, |x|),
        backwards at an upper bound), but each operation's three columns from its own
        response alone: one vectorised call instead of one whole model per parameter."""
        steps = np.sqrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(params))
        steps = np.where(params + steps > upper, -steps, steps)
        jac = np.empty((len(self.freqs), len(params)))
        jac[:, 0] = -self.root
        ops = params[1:].reshape(-1, 3)
        if len(ops):
            moved = np.repeat(ops, 3, axis=0)
            columns = np.arange(len(moved)), np.tile(np.arange(3), len(ops))
            moved[columns] += steps[1:]
            taken = moved[columns] - ops.ravel()  # the step as represented
            both = np.concatenate([ops, moved])
            responses = peaking_response_db(
                self.freqs, 2.0 ** both[:, 0], both[:, 1], 2.0 ** both[:, 2], self.sample_rate
            )
            base = np.repeat(responses[: len(ops)], 3, axis=0)
            derivative = (responses[len(ops) :] - base) / taken[:, None]
            jac[:, 1:] = -(self.root[None, :] * derivative).T
        return jac

    def refine(self, params: np.ndarray, max_nfev: int | None = None) -> _Fit:
        k = (len(params) - 1) // 3
        lower = np.concatenate([[-60.0], np.tile([math.log2(self.f_low), -30.0, -3.0], k)])
        upper = np.concatenate([[60.0], np.tile([math.log2(self.f_high), 30.0, 2.6], k)])
        start = np.clip(params, lower + 1e-9, upper - 1e-9)
        solution = least_squares(
            self.residual,
            start,
            jac=lambda x: self.jacobian(x, upper),
            bounds=(lower, upper),
            x_scale="jac",
            max_nfev=max_nfev,
        )
        return _Fit(solution.x, self.rms(solution.x))


def _dictionary(problem: _Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = math.floor(math.log2(problem.f_high / problem.f_low) * 12) + 1
    centres = problem.f_low * 2.0 ** (np.arange(steps) / 12.0)
    grid_c, grid_w = np.meshgrid(centres, _WIDTHS, indexing="ij")
    atoms = peaking_response_db(
        problem.freqs, grid_c.ravel(), _ATOM_GAIN_DB, grid_w.ravel(), problem.sample_rate
    )
    return grid_c.ravel(), grid_w.ravel(), atoms / _ATOM_GAIN_DB


def _best_atom(residual: np.ndarray, weights: np.ndarray, atoms: np.ndarray) -> tuple[int, float]:
    """The atom (weighted mean removed) that lowers the weighted residual most, and its scale."""
    total = weights.sum()
    centred = atoms - (atoms @ weights / total)[:, None]
    r = residual - (residual @ weights) / total
    inner = centred @ (weights * r)
    energy = np.maximum((centred**2) @ weights, 1e-12)
    best = int(np.argmax(inner**2 / energy))
    return best, float(inner[best] / energy[best])


def decode_free(
    ratio_db: np.ndarray,
    weights: np.ndarray,
    freqs_hz: np.ndarray,
    sample_rate: float,
    *,
    max_operations: int = 10,
    tol_db: float = 0.05,
    min_improvement: float = 0.1,
    min_gain_db: float = MIN_GAIN_DB,
    edge_min_gain_db: float = 6.0,
) -> EqMovesResult:
    """Operations of any gain, centre and width, and an overall gain, explaining ``ratio_db``."""
    problem = _Problem(
        np.asarray(ratio_db, float), np.asarray(weights, float), freqs_hz, sample_rate
    )
    dictionary = _dictionary(problem)
    g0 = float((problem.ratio * problem.weights).sum() / max(problem.weights.sum(), 1e-12))
    fit = problem.refine(np.array([g0]))
    rule = _Admission(tol_db, min_improvement)
    for _ in range(2 * max_operations):  # each step adds a move or cuts the residual by 10 %
        fit = _grow(problem, fit, dictionary, rule, max_operations)
        rearranged = _rearrange(problem, fit, dictionary, rule, max_operations)
        if rearranged is None:
            break
        fit = rearranged
    fit = _prune(problem, fit, min_gain_db, edge_min_gain_db)
    fit = _eliminate(problem, fit, rule)
    return _result(problem, fit, min_gain_db)


@dataclass(frozen=True)
class _Admission:
    """The rule an operation must pass to be added (or kept): the weighted RMS residual
    falls by at least ``tol_db`` and by at least ``min_improvement`` of its value."""

    tol_db: float
    min_improvement: float

    def admits(self, before: float, after: float) -> bool:
        gained = before - after
        return gained >= self.tol_db and gained >= self.min_improvement * before


_Dictionary = tuple[np.ndarray, np.ndarray, np.ndarray]


def _count(fit: _Fit) -> int:
    return (len(fit.params) - 1) // 3


def _with_best_atom(problem: _Problem, fit: _Fit, dictionary: _Dictionary) -> np.ndarray:
    """``fit``'s parameters and the dictionary atom that best explains its residual."""
    centres, widths, atoms = dictionary
    residual = problem.ratio - _model(fit.params, problem.freqs, problem.sample_rate)
    index, scale = _best_atom(residual, problem.weights, atoms)
    gain = float(np.clip(scale * _ATOM_GAIN_DB, -29.0, 29.0))
    return np.concatenate([fit.params, [math.log2(centres[index]), gain, math.log2(widths[index])]])


def _grow(
    problem: _Problem, fit: _Fit, dictionary: _Dictionary, rule: _Admission, limit: int
) -> _Fit:
    """Greedy selection (orthogonal matching pursuit with joint refinement) while the
    best new operation passes the admission rule."""
    while _count(fit) < limit and fit.rms > rule.tol_db:
        candidate = problem.refine(_with_best_atom(problem, fit, dictionary))
        if not rule.admits(fit.rms, candidate.rms):
            break
        fit = candidate
    return fit


_SCREEN_EVALUATIONS = 12  # a rearrangement is first refined this far ...
_SCREEN_KEPT = 2  # ... and only the best few are refined to convergence


def _rearrange(
    problem: _Problem, fit: _Fit, dictionary: _Dictionary, rule: _Admission, limit: int
) -> _Fit | None:
    """A better arrangement than greedy selection found, or None.

    Greedy selection explains overlapping moves first by one broad operation, and the joint
    refinement can stay in that local minimum. Two kinds of step leave it: each operation
    split into two half as wide a quarter of its width either side, with equal or opposite
    gains (one operation more: kept by the admission rule); and, as many operations, each
    operation taken out and either the best atom for what is then left put in its place or
    another operation split (kept when the residual falls by ``min_improvement``)."""
    if _count(fit) < limit:
        split = _most_promising(problem, _splits(fit.params))
        if split is not None and rule.admits(fit.rms, split.rms):
            return split
    starts = []
    for k in range(_count(fit)):
        reduced = problem.refine(_without(fit.params, k), _SCREEN_EVALUATIONS)
        starts.append(_with_best_atom(problem, reduced, dictionary))
        starts += _splits(_without(fit.params, k))
    swapped = _most_promising(problem, starts)
    if swapped is not None and swapped.rms < (1.0 - rule.min_improvement) * fit.rms:
        return swapped
    return None


def _most_promising(problem: _Problem, starts: list[np.ndarray]) -> _Fit | None:
    """The best of ``starts`` once each is refined a little and the leaders to convergence."""
    screened = sorted(
        (problem.refine(start, _SCREEN_EVALUATIONS) for start in starts), key=lambda f: f.rms
    )
    refined = [problem.refine(f.params) for f in screened[:_SCREEN_KEPT]]
    return min(refined, key=lambda f: f.rms, default=None)


def _splits(params: np.ndarray) -> list[np.ndarray]:
    """Each operation replaced by two half as wide, a quarter of its width either side,
    with equal gains or one of them reversed at half the gain."""
    out = []
    for k, (log_centre, gain, log_width) in enumerate(params[1:].reshape(-1, 3)):
        quarter = 2.0**log_width / 4
        rest = _without(params, k)
        for low_gain, high_gain in ((gain, gain), (gain, -gain / 2), (-gain / 2, gain)):
            halves = [log_centre - quarter, low_gain, log_width - 1.0,
                      log_centre + quarter, high_gain, log_width - 1.0]  # fmt: skip
            out.append(np.concatenate([rest, halves]))
    return out


def _without(params: np.ndarray, *ks: int) -> np.ndarray:
    drop = [1 + 3 * k + i for k in ks for i in range(3)]
    return np.delete(params, drop)


def _removals(params: np.ndarray) -> list[tuple[int, ...]]:
    """Each operation alone, and each pair of a boost and a cut less than an octave apart
    (an offsetting pair explains little together, so it must be tried together)."""
    ops = params[1:].reshape(-1, 3)
    singles: list[tuple[int, ...]] = [(k,) for k in range(len(ops))]
    pairs = [(i, j) for i in range(len(ops)) for j in range(i + 1, len(ops))
             if ops[i, 1] * ops[j, 1] < 0 and abs(ops[i, 0] - ops[j, 0]) < 1.0]  # fmt: skip
    return singles + pairs


def _eliminate(problem: _Problem, fit: _Fit, rule: _Admission) -> _Fit:
    """Backward elimination: once all operations are refined together, each (and each
    offsetting pair) must still earn its place by the rule that admitted it, with the
    residual without it, refitted, as the residual before. One broad move split in two, or
    offsetting moves that a codec or a limiter drew, fail it."""
    while _count(fit) > 0:
        trials = [problem.refine(_without(fit.params, *ks)) for ks in _removals(fit.params)]
        best = min(trials, key=lambda trial: trial.rms)
        if rule.admits(best.rms, fit.rms):
            return fit
        fit = best
    return fit


_EDGE_NEEDED = 3.0  # edge moves stay when the inner bands' residual is 3x larger without them


def _prune(problem: _Problem, fit: _Fit, min_gain_db: float, edge_min_gain_db: float) -> _Fit:
    """Drop operations under ``min_gain_db``, offsetting pairs (:func:`_offsetting`), and
    those centred within half an octave of either edge of the well-measured band (weight
    >= 0.5) under ``edge_min_gain_db``: there only one flank of a move is seen, and leakage,
    a codec or dynamics processing mimic it. The edge moves are kept, all together, when
    the bands half an octave inside the edges need them: refitted without them, the
    residual there is ``_EDGE_NEEDED`` times larger (as with a cut above 3 kHz when a
    codec's noise has made the bands above it uncertain; an artefact at an edge changes
    little inside)."""
    ops = fit.params[1:].reshape(-1, 3)
    low, high = problem.well_measured()
    inside = (ops[:, 0] >= math.log2(low) + 0.5) & (ops[:, 0] <= math.log2(high) - 0.5)
    gains = np.abs(ops[:, 1])
    keep = (gains >= min_gain_db) & ~_offsetting(problem, ops)
    edge = keep & ~inside & (gains < edge_min_gain_db)
    if edge.any():
        inner = (problem.freqs >= low * 2**0.5) & (problem.freqs <= high * 2**-0.5)
        without = problem.refine(np.concatenate([fit.params[:1], ops[keep & ~edge].ravel()]))
        needed = problem.rms(without.params, inner) > _EDGE_NEEDED * problem.rms(
            fit.params, inner
        )  # strictly: with no inner band both are 0 and the edge moves go
        if not needed:
            return without  # the refit of what is kept
    if keep.all():
        return fit
    return problem.refine(np.concatenate([fit.params[:1], ops[keep].ravel()]))


def _offsetting(problem: _Problem, ops: np.ndarray) -> np.ndarray:
    """Operations in a boost-and-cut pair less than half an octave apart whose net response
    peaks at under half the smaller gain: each is mostly cancelled by the other, a shape
    fitted to noise or to what is not EQ, not two moves an engineer made."""
    out = np.zeros(len(ops), bool)
    for i in range(len(ops)):
        for j in range(i + 1, len(ops)):
            if ops[i, 1] * ops[j, 1] >= 0 or abs(ops[i, 0] - ops[j, 0]) >= 0.5:
                continue
            pair = ops[[i, j]]
            net = peaking_response_db(
                problem.freqs, 2.0 ** pair[:, 0], pair[:, 1], 2.0 ** pair[:, 2], problem.sample_rate
            ).sum(0)
            if np.abs(net).max() < 0.5 * np.abs(pair[:, 1]).min():
                out[[i, j]] = True
    return out


def _result(problem: _Problem, fit: _Fit, min_gain_db: float) -> EqMovesResult:
    g0, centres, gains, widths = _unpack(fit.params)
    fitted = _model(fit.params, problem.freqs, problem.sample_rate)
    operations = []
    for k in range(len(centres)):
        added = max(problem.rms(_without(fit.params, k)) - fit.rms, 0.0)
        confidence = added / (added + fit.rms) if added + fit.rms > 0 else 1.0
        operations.append(
            EqOperation(float(centres[k]), float(gains[k]), float(widths[k]), confidence)
        )
    operations.sort(key=lambda o: o.freq_hz)
    return EqMovesResult(
        operations,
        g0,
        fit.rms,
        problem.freqs,
        problem.ratio,
        fitted,
        problem.weights,
        measured_band_hz=problem.well_measured(),
        smallest_move_db=min_gain_db,
    )
