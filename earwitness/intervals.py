"""Wilson's score interval for a proportion: the one implementation every area uses.

E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
JASA 22 (1927) 209-212; honest at small n and at 0 or n successes, unlike the normal
(Wald) interval (Brown, Cai & DasGupta 2001). Checked against Newcombe (1998) Table I.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["wilson_interval"]


def wilson_interval(successes: float, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``successes`` out of ``n``, clipped to [0, 1]; (nan, nan)
    when n is 0. ``successes`` may be fractional (an observed share times n)."""
    if n <= 0:
        return (math.nan, math.nan)
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n))
    low = 0.0 if successes <= 0 else max(0.0, centre - half)  # exact at the bounds, where
    high = 1.0 if successes >= n else min(1.0, centre + half)  # rounding leaves 1e-17
    return (low, high)
