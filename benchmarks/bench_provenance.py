"""Benchmark: the provenance rule's bootstrap interval (Cohen's kappa, 2,000 draws
resampling documents) on 5,000 stance units in 500 documents.

SYNTHETIC, LABELLED DATA: people's stances drawn uniformly from four; the machine agrees
with probability 0.7 and otherwise says "neutral". Seeded.

Compared in the same run on the same data and draws:

* earwitness: ``assess_agreement`` (every draw's contingency table as a weighted sum of
  per-document tables, one matrix product);
* baseline: the same function with the generic path (the statistic recomputed on the
  pooled units of every draw), which gives the same interval.

Run: .venv/bin/python benchmarks/bench_provenance.py
"""

from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np

from earwitness.provenance import assess_agreement, cohen_kappa_labels

N_UNITS, PER_DOCUMENT, SEED = 5_000, 10, 20261206


def _data() -> tuple[list[str], list[str], list[int]]:
    rng = np.random.default_rng(SEED)
    human = rng.choice(["positive", "negative", "neutral", "mixed"], N_UNITS).tolist()
    machine = [h if rng.random() < 0.7 else "neutral" for h in human]
    return machine, human, [i // PER_DOCUMENT for i in range(N_UNITS)]


def _timed(run):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    machine, human, documents = _data()
    fast, t_fast, m_fast = _timed(lambda: assess_agreement(machine, human, documents))
    generic = lambda a, b: cohen_kappa_labels(a, b)  # noqa: E731 - forces the generic path
    slow, t_slow, m_slow = _timed(
        lambda: assess_agreement(machine, human, documents, statistic=generic)
    )
    assert (fast.kappa_low, fast.kappa_high) == (slow.kappa_low, slow.kappa_high)
    documents_n = N_UNITS // PER_DOCUMENT
    print(f"load average {os.getloadavg()[0]:.1f}; {N_UNITS} units, {documents_n} documents")
    print(f"earwitness {t_fast:.2f} s, peak {m_fast:.1f} MiB traced")
    print(f"baseline   {t_slow:.2f} s, peak {m_slow:.1f} MiB traced")
    print(f"ratio {t_fast / t_slow:.3f}; interval {fast.kappa_low}–{fast.kappa_high} (both)")


if __name__ == "__main__":
    main()
