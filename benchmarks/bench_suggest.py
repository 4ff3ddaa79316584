"""Benchmark: `suggest` on N SYNTHETIC forum-like posts against plain SentenceTransformer.encode.

Measured in one run, on the same texts, with the same (packaged all-MiniLM-L6-v2) model
already loaded and warmed up:

* baseline: ``SentenceTransformer.encode`` of the N texts (batch 64, normalised);
* first ``suggest`` on an empty cache: hashing, cache lookup, encoding, storing the
  vectors, scoring 5 codes, writing proposals (goal: <= 1.2 x the baseline);
* cached re-run of ``suggest`` (goal: >= 20 x faster than the first run);
* peak resident memory of the process (ru_maxrss) after each phase.

Usage: ``.venv/bin/python benchmarks/bench_suggest.py [N]`` (default 10000). The posts
are generated from templates and labelled synthetic in the study; each carries a unique
suffix so that no text repeats (repeats would flatter the cache).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._suggest import suggest
from earwitness.study import init_study
from tests.code import assist_synth as synth


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-suggest-"))
    study = init_study(folder / "study", name="bench (synthetic)")
    items = [
        synth.SynthPost(
            f"{post.text} (synthetic post {i})",
            post.theme,
            post.stance,
            post.tool,
            post.author,
            post.group,
            post.authored_at,
        )
        for i, post in enumerate(synth.posts(n, seed=2024))
    ]
    texts = [post.text for post in items]
    with study.open_store() as store:
        synth.add_codebook(store)
        synth.add_posts(store, items)
        embedder = Embedder.for_study(study, store)
        model = embedder.model
        model.encode(texts[:128], batch_size=64)  # warm-up, for both sides
        print(
            f"N={n} synthetic posts, model {embedder.model_id} ({embedder.source.how}), "
            f"device {model.device}, peak RSS after load {peak_mib():.0f} MiB"
        )

        start = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        baseline = time.perf_counter() - start
        print(
            f"baseline encode:     {baseline:8.2f} s  ({n / baseline:6.1f} posts/s)  "
            f"peak RSS {peak_mib():.0f} MiB"
        )

        start = time.perf_counter()
        first = suggest(store, embedder)
        first_s = time.perf_counter() - start
        proposed = sum(row["proposed"] for row in first.codes)
        print(
            f"first suggest:       {first_s:8.2f} s  ratio {first_s / baseline:5.2f} x baseline "
            f"(goal <= 1.2)  embedded {first.embedded}, proposed {proposed}  "
            f"peak RSS {peak_mib():.0f} MiB"
        )

        start = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        baseline2 = time.perf_counter() - start
        fastest = min(baseline, baseline2)
        print(
            f"baseline again:      {baseline2:8.2f} s  ratio of first suggest to the faster "
            f"baseline {first_s / fastest:5.2f} x (machine load varies between runs)"
        )

        start = time.perf_counter()
        again = suggest(store, embedder)
        again_s = time.perf_counter() - start
        print(
            f"cached re-run:       {again_s:8.2f} s  speed-up {first_s / again_s:5.1f} x "
            f"(goal >= 20)  embedded {again.embedded}, cached {again.cached}  "
            f"peak RSS {peak_mib():.0f} MiB"
        )
    print(f"study left in {folder} (delete it when done)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
