"""Benchmark: intercoder agreement on 10,000 segments x 30 codes x 3 coders.

SYNTHETIC, LABELLED DATA: 1,000 documents of 10 segments (80-160 characters each); for
every segment and code a hidden "true" presence (p = 0.08), which each of 3 coders
reports correctly with probability 0.9; a coded span is the segment with its ends
moved by up to 10 characters. Seeded, so every run measures the same data.

Compared, in the same run, on the same data:

* earwitness: ``coverage_histogram`` per (document, code) on span boundaries, summed
  per code, then ``span_agreement`` (Krippendorff's alpha, pairwise Cohen's kappa,
  percent agreement), exactly what ``earwitness code agreement`` computes;
* baseline: the straightforward way, a coders x characters 0/1 matrix per code built
  with numpy and passed to the ``krippendorff`` PyPI package (Castro, ``alpha``), with
  kappa from numpy counts on the same matrix.

Both must give the same alpha for every code. A third timing runs the whole
``study_agreement`` on a SQLite study holding the same codings (database read included).

Run: .venv/bin/python benchmarks/bench_agreement.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from earwitness.code.reliability import coverage_histogram, span_agreement, study_agreement

N_DOCUMENTS, SEGMENTS_PER_DOCUMENT, N_CODES, N_CODERS = 1_000, 10, 30, 3
PREVALENCE, ACCURACY, JITTER, SEED = 0.08, 0.9, 10, 20240601

Codings = dict[tuple[int, int], list[list[tuple[int, int]]]]


def synthesise() -> tuple[list[int], Codings]:
    rng = random.Random(SEED)
    lengths: list[int] = []
    codings: Codings = {}
    for document in range(N_DOCUMENTS):
        bounds = [0]
        for _ in range(SEGMENTS_PER_DOCUMENT):
            bounds.append(bounds[-1] + rng.randint(80, 160))
        lengths.append(bounds[-1])
        for segment in range(SEGMENTS_PER_DOCUMENT):
            start, end = bounds[segment], bounds[segment + 1]
            for code in range(N_CODES):
                truth = rng.random() < PREVALENCE
                for coder in range(N_CODERS):
                    says = truth if rng.random() < ACCURACY else not truth
                    if not says:
                        continue
                    s = max(0, start + rng.randint(-JITTER, JITTER))
                    e = min(bounds[-1], end + rng.randint(-JITTER, JITTER))
                    per_coder = codings.setdefault((document, code), [[] for _ in range(N_CODERS)])
                    per_coder[coder].append((s, e))
    return lengths, codings


def ours(lengths: list[int], codings: Codings) -> list[float]:
    alphas = []
    for code in range(N_CODES):
        total: dict[int, int] = {}
        for document, length in enumerate(lengths):
            found = codings.get((document, code))
            part = coverage_histogram(length, found) if found else {0: length}
            for mask, chars in part.items():
                total[mask] = total.get(mask, 0) + chars
        alphas.append(span_agreement(total, N_CODERS).alpha)
    return alphas


def baseline(lengths: list[int], codings: Codings) -> list[float]:
    import krippendorff

    offsets = np.concatenate([[0], np.cumsum(lengths)])
    alphas = []
    for code in range(N_CODES):
        matrix = np.zeros((N_CODERS, int(offsets[-1])), dtype=np.float64)
        for document in range(len(lengths)):
            for coder, spans in enumerate(codings.get((document, code), [[]] * N_CODERS)):
                for s, e in spans:
                    matrix[coder, offsets[document] + s : offsets[document] + e] = 1
        for a in range(N_CODERS):  # pairwise Cohen's kappa, as the table reports it
            for b in range(a + 1, N_CODERS):
                observed = np.mean(matrix[a] == matrix[b])
                pa, pb = matrix[a].mean(), matrix[b].mean()
                chance = pa * pb + (1 - pa) * (1 - pb)
                _ = (observed - chance) / (1 - chance)
        alphas.append(
            float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
        )
    return alphas


def study_round_trip(lengths: list[int], codings: Codings) -> tuple[Callable[[], Any], int]:
    """A SQLite study holding the same codings; returns the timed call and the coding count."""
    import sqlalchemy as sa

    from earwitness.store import schema
    from earwitness.study import init_study

    folder = Path(tempfile.mkdtemp(prefix="bench-agreement-"))
    study = init_study(folder / "study", name="bench (synthetic)")
    store = study.open_store()
    rows = []
    with store.transaction() as connection:
        connection.execute(
            schema.documents.insert(),
            [
                {"guid": f"00000000-0000-4000-8000-{d:012d}", "platform": "synthetic",
                 "native_id": str(d), "text": "x" * length, "text_sha256": "-", "kind": "post",
                 "status": "active", "extra": {}}
                for d, length in enumerate(lengths)
            ],
        )  # fmt: skip
        connection.execute(
            schema.codes.insert(),
            [{"guid": f"10000000-0000-4000-8000-{c:012d}", "name": f"code {c:02d}",
              "examples": [], "extra": {}} for c in range(N_CODES)],
        )  # fmt: skip
        connection.execute(
            schema.coders.insert(),
            [{"guid": f"20000000-0000-4000-8000-{k:012d}", "name": f"coder {k}", "extra": {}}
             for k in range(N_CODERS)],
        )  # fmt: skip
        for (document, code), per_coder in codings.items():
            for coder, spans in enumerate(per_coder):
                for s, e in spans:
                    rows.append({"guid": f"c{len(rows)}", "document_id": document + 1,
                                 "start": s, "end": e, "code_id": code + 1,
                                 "coder_id": coder + 1, "origin": "human",
                                 "status": "applied"})  # fmt: skip
        connection.execute(schema.codings.insert(), rows)
        assert connection.execute(sa.select(sa.func.count()).select_from(schema.codings)).scalar()

    def run() -> Any:
        with store.connect() as connection:
            return study_agreement(connection)

    return run, len(rows)


def measure(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """Wall time of one plain run, then peak traced memory of a second run.

    tracemalloc slows allocation-heavy Python a lot, so time and memory are measured apart.
    """
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    lengths, codings = synthesise()
    n_codings = sum(len(s) for per_coder in codings.values() for s in per_coder)
    print(f"synthetic data: {N_DOCUMENTS * SEGMENTS_PER_DOCUMENT} segments, {N_CODES} codes, "
          f"{N_CODERS} coders, {sum(lengths):,} characters, {n_codings:,} codings")  # fmt: skip
    mine, t_mine, m_mine = measure(lambda: ours(lengths, codings))
    base, t_base, m_base = measure(lambda: baseline(lengths, codings))
    worst = max(abs(a - b) for a, b in zip(mine, base, strict=True))
    assert worst < 1e-9, f"alpha differs from the baseline by {worst}"
    print(f"earwitness (span boundaries):        {t_mine:7.2f} s  peak {m_mine:8.2f} MiB")
    print(f"baseline (char matrix + krippendorff {version('krippendorff')}): "
          f"{t_base:7.2f} s  peak {m_base:8.2f} MiB")  # fmt: skip
    print(f"speed-up {t_base / t_mine:.1f}x, memory ratio {m_base / max(m_mine, 1e-9):.1f}x, "
          f"max |alpha difference| {worst:.1e}")  # fmt: skip
    run, stored = study_round_trip(lengths, codings)
    rows, t_study, m_study = measure(run)
    print(f"study_agreement on SQLite ({stored:,} codings, DB read included): "
          f"{t_study:7.2f} s  peak {m_study:8.2f} MiB, {len(rows)} rows")  # fmt: skip
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
