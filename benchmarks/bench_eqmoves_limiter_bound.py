"""Is a limiter's miss a failure to model the limiter, or a loss of what it leaves to
measure? The limiter cases of ``bench_eqmoves_robust.py`` (same draws) decoded three times:

* as ``estimate_moves`` decodes them;
* with the limiter undone exactly: its gain g(t) fitted by least squares to the
  equalised input the limiter was given (known here, never in use), on linear knots every
  16 samples, and the candidate divided by it before the same coherent ratio and decoder;
* with no limiter at all (the equalised clip): the decoder's own ceiling on these moves.

If the second scores no better than the first, a better limiter detector or gain model
cannot close the gap; if it scores as the third, the limited file still holds what the
decoder needs. Also printed per case: the share of the limited signal's energy that the
best such gain leaves unexplained (ffmpeg's ``alimiter`` is a pure gain to within it).

Knots every 64 samples, as this benchmark first had, were too far apart: they left the
solo trumpet's moves below 150 Hz unrecovered and so understated the bound
(docs/eqmoves.md, sixth session).

    python benchmarks/bench_eqmoves_limiter_bound.py [--split dev|test] [--cases N]
        [--seed N] [--start S]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from bench_eqmoves_robust import _brief, draws, matches
from scipy.linalg import solveh_banded

from earwitness.analysis.eqmoves import EqOperation, estimate_moves
from earwitness.analysis.eqmoves._decoder import decode_free
from earwitness.analysis.eqmoves._estimate import _ratio
from earwitness.analysis.eqmoves._features import LOG_GRID_HZ
from earwitness.analysis.eqmoves._nonlinear import _overlap, align, coherent_ratio_db

KNOT = 16


def knot_gain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g minimising sum (y - g x)^2 with g linear between knots every KNOT samples (a
    tridiagonal normal system; a light first-difference penalty carries g through silence)."""
    n = len(x)
    knot, frac = np.arange(n) // KNOT, (np.arange(n) % KNOT) / KNOT
    m = int(knot.max()) + 2
    power = x * x
    diag = np.bincount(knot, (1 - frac) ** 2 * power, m) + np.bincount(knot + 1, frac**2 * power, m)
    off = np.bincount(knot, (1 - frac) * frac * power, m)[: m - 1]
    rhs = np.bincount(knot, (1 - frac) * x * y, m) + np.bincount(knot + 1, frac * x * y, m)
    penalty = 1e-3 * diag.mean()
    banded = np.zeros((2, m))
    banded[0, 1:] = off - penalty
    banded[1] = diag + penalty * np.r_[1.0, 2.0 * np.ones(m - 2), 1.0] + 1e-9 * diag.mean()
    g = solveh_banded(banded, rhs)
    return np.asarray(g[knot] * (1 - frac) + g[knot + 1] * frac)


def undone(
    reference: np.ndarray, equalised: np.ndarray, limited: np.ndarray, rate: int
) -> tuple[list[EqOperation], float]:
    """Moves decoded once the limiter is divided out, and the share of energy left."""
    delay, _ = align(equalised, limited, rate)  # the limiter's look-ahead
    given, out = _overlap(equalised, limited, delay)
    gain = knot_gain(given, out)
    left = float(np.sum((out - gain * given) ** 2) / np.sum(out**2))
    unlimited = limited.copy()
    start = max(delay, 0)
    unlimited[start : start + len(gain)] = out / np.clip(gain, 0.02, None)
    lag, _ = align(reference, limited, rate)
    grid, _, weights, _ = _ratio(reference, limited, rate, LOG_GRID_HZ, False)
    ratio, coherent = coherent_ratio_db(reference, unlimited, lag, rate, grid)
    return decode_free(ratio, weights * coherent, grid, rate).operations, left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--start", type=float)
    options = parser.parse_args()
    started = time.perf_counter()
    decoder = bound = ceiling = total = 0
    for draw in draws(options.split, options.cases, options.seed, options.start):
        if draw.condition != "limit":
            continue
        reference, rate, moves = draw.reference, draw.rate, draw.moves
        equalised = draw.equalised()
        limited, _ = draw.candidate(equalised)
        found = estimate_moves((reference, rate), (limited, rate)).operations
        ideal, left = undone(reference, equalised, limited, rate)
        plain = estimate_moves((reference, rate), (equalised, rate)).operations
        plain_exact = matches(moves, plain)
        decoder += matches(moves, found)
        bound += matches(moves, ideal)
        ceiling += plain_exact
        total += 1
        print(f"{draw.recording.name[:24]:24} left {100 * left:7.1e} %  truth {_brief(moves)}")
        print(f"{'':24} decoder {_brief(found)}\n{'':24} undone  {_brief(ideal)}")
        if not plain_exact:
            print(f"{'':24} no limiter {_brief(plain)}")
    print(
        f"exact set after a limiter: decoder {decoder}/{total}, limiter undone {bound}/{total};"
        f" with no limiter {ceiling}/{total}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - started:.0f} s, peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
