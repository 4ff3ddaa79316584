"""Benchmark and measurement: person-name masking (earwitness.privacy, ``[name]``).

Speed. Input: the bodies of the real Pushshift sample (../shared/fixtures/pushshift/RC_*.zst,
r/science comments) split into sentences, repeated to ``--sentences``. Baseline in the
same run: ``Masker().mask`` (the regular-expression masker every importer already runs).
Measured: the masker followed by the name model, per text (as forum pages call it) and in
batches (``mask_many``, as transcripts and survey imports do); best of ``--runs``; the
share of sentences the name model changed; peak traced memory.

Precision and recall. ``--labelled FILE``: JSON lines ``{"source", "kind", "text",
"names"}`` where ``names`` lists every person name written in ``text`` (hand-labelled).
Gold spans are every whole-word occurrence of a listed name (longest first); a found span
counts as correct when it overlaps a gold span, a gold span as found when a found span
overlaps it. Prints the counts per text and in total.

Run: .venv/bin/python benchmarks/bench_name_masking.py [--sentences 5000] [--labelled F]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_privacy import sentences  # noqa: E402


def best_of(run: Callable[[], Any], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def speed(count: int, runs: int) -> None:
    from earwitness.privacy import Masker, person_name_masker

    texts = sentences(count)
    masker, names = Masker(), person_name_masker()
    names.mask_many(texts[:50])  # the model loaded and warm
    t_base = best_of(lambda: [masker.mask(t) for t in texts], runs)
    t_one = best_of(lambda: [names(masker.mask(t)) for t in texts], runs)
    t_many = best_of(lambda: names.mask_many(masker.mask(t) for t in texts), runs)
    tracemalloc.start()
    masked = names.mask_many(texts)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    changed = sum(a != b for a, b in zip(texts, masked, strict=True))
    print(f"{len(texts)} sentences, best of {runs}")
    print(f"  baseline Masker().mask       {t_base * 1000:9.1f} ms")
    print(f"  + names, one text at a time  {t_one * 1000:9.1f} ms  ({t_one / t_base:.0f}x)")
    print(f"  + names, mask_many batches   {t_many * 1000:9.1f} ms  ({t_many / t_base:.0f}x)")
    print(f"  per sentence (batches)       {t_many / len(texts) * 1e6:9.0f} us")
    print(f"  sentences with a [name]      {changed} of {len(texts)}")
    print(f"  peak traced memory           {peak:9.1f} MiB")


def gold_spans(text: str, names: list[str]) -> list[tuple[int, int]]:
    taken = [False] * len(text)
    spans = []
    for name in sorted(set(names), key=len, reverse=True):
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            if not any(taken[match.start() : match.end()]):
                spans.append((match.start(), match.end()))
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
    return sorted(spans)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(path: Path) -> None:
    from earwitness.privacy import person_name_masker

    names = person_name_masker()
    tp_found = n_found = tp_gold = n_gold = 0
    for line in path.read_text("utf-8").splitlines():
        doc = json.loads(line)
        gold = gold_spans(doc["text"], doc["names"])
        found = names.spans(doc["text"])  # type: ignore[attr-defined]
        right = sum(any(overlaps(f, g) for g in gold) for f in found)
        hit = sum(any(overlaps(g, f) for f in found) for g in gold)
        wrong = [doc["text"][a:b] for a, b in found if not any(overlaps((a, b), g) for g in gold)]
        missed = [doc["text"][a:b] for a, b in gold if not any(overlaps((a, b), f) for f in found)]
        print(f"{doc['kind']:32} found {right}/{len(found)} right, {hit}/{len(gold)} names found")
        print(f"    wrong: {wrong}\n    missed: {missed}")
        tp_found, n_found = tp_found + right, n_found + len(found)
        tp_gold, n_gold = tp_gold + hit, n_gold + len(gold)
    print(f"precision {tp_found}/{n_found} = {tp_found / max(n_found, 1):.3f}")
    print(f"recall    {tp_gold}/{n_gold} = {tp_gold / max(n_gold, 1):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--labelled", type=Path)
    args = parser.parse_args()
    if args.labelled:
        evaluate(args.labelled)
    else:
        speed(args.sentences, args.runs)


if __name__ == "__main__":
    main()
