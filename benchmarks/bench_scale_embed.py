"""Benchmark: embedding N SYNTHETIC posts in-process and on a LocalCluster (issue 26).

Measured in one run, on the same texts, with the packaged all-MiniLM-L6-v2:

1. one core (torch limited to one thread): plain ``SentenceTransformer.encode`` of the
   texts (batch 64, normalised; the model loaded and warmed up) against earwitness's
   ``Embedder.embed`` on an empty SQLite cache (hashing, cache lookup, partitions of 512
   through the Parquet round trip, storing the vectors); goal: ratio <= 1.2. PAIRS
   alternating pairs; the ratio of the best times, in wall time and in the process's CPU
   time (which other jobs on a shared machine disturb far less than wall time).
2. ``local:N`` against the same embedding in one process: the in-process run with one
   torch thread and with torch's default threads (one per core); goal: local:2 >= 1.7x
   the single process. The cluster's start-up (and each worker's model load) is timed
   apart from the embedding.
3. scheduler overhead: N_NOOP empty partitions through ``map_partitions`` on the cluster.
4. the CPU seconds each worker spent on the embedding (``time.process_time`` before and
   after), from which the speed-up a machine without other jobs would give is estimated
   (a model, labelled as such: the single process's CPU time over the busiest worker's);
5. topics (``--topics``): fitted on a sample of half the posts, the other half assigned
   in partitions of 100 (no zero-shot, so UMAP and HDBSCAN predict), in-process and on
   the cluster: time of the assignment and per partition;
6. peak resident memory (ru_maxrss) of the driver and of each worker.

Usage: ``.venv/bin/python benchmarks/bench_scale_embed.py [N] [WORKERS] [--topics]``
(default 1000, 2); ``--only-topics`` runs the topics phase alone.
The posts come from tests/code/assist_synth.py, each made unique by a suffix.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_NOOP = 200
PAIRS = 3


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def noop(partition: int) -> int:
    return partition


def warm(location: str, sha256: str) -> None:
    """Load the model on a worker as its partitions will (offline), before the timing."""
    from earwitness.code.assist._embeddings import load_model

    load_model(location, "cpu", sha256, True)


def cpu_seconds() -> float:
    return time.process_time()


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(n: int, workers: int, with_topics: bool) -> None:
    import torch

    from earwitness.code.assist._embeddings import Embedder, load_model
    from earwitness.partitions import map_partitions, parse_scheduler, scheduler_client
    from earwitness.study import init_study
    from tests.code import assist_synth as synth

    texts = [f"{p.text} (synthetic post {i})" for i, p in enumerate(synth.posts(n, seed=2024))]
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-embed-"))

    def fresh_embed(name: str, **kwargs: object) -> tuple[float, float]:
        study = init_study(folder / name, name="bench (synthetic)")
        with study.open_store() as store:
            embedder = Embedder.for_study(study, store, **kwargs)  # type: ignore[arg-type]
            start, cpu = time.perf_counter(), time.process_time()
            embedder.embed(texts)
            assert embedder.stats.encoded == n
            return time.perf_counter() - start, time.process_time() - cpu

    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    probe = init_study(folder / "probe")
    with probe.open_store() as store:
        source = Embedder.for_study(probe, store).source
    model = load_model(source.location, "cpu", source.sha256)
    model.encode(texts[:128], batch_size=64)

    def baseline() -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return time.perf_counter() - start, time.process_time() - cpu

    print(f"N={n} synthetic posts, {os.cpu_count()} cores, {load()}")
    plain, embedded = [], []
    for pair in range(PAIRS):
        plain.append(baseline())
        embedded.append(fresh_embed(f"one-core-{pair}"))
        print(
            f"  pair {pair + 1}: plain encode {plain[-1][0]:.2f} s wall / {plain[-1][1]:.2f} s "
            f"CPU, earwitness {embedded[-1][0]:.2f} s / {embedded[-1][1]:.2f} s; {load()}"
        )
    wall = min(e[0] for e in embedded) / min(p[0] for p in plain)
    cpu = min(e[1] for e in embedded) / min(p[1] for p in plain)
    ours = min(e[0] for e in embedded)
    print(
        f"one core, best of {PAIRS}: earwitness / plain encode = {wall:.3f} wall, {cpu:.3f} "
        f"CPU (goal <= 1.2); {n / ours:.1f} posts/s"
    )

    torch.set_num_threads(default_threads)
    single = fresh_embed("in-process")[0]
    print(
        f"in-process, {default_threads} torch threads: {single:.2f} s ({n / single:.1f} posts/s)"
        f"; one thread {ours:.2f} s; {load()}"
    )

    local = parse_scheduler(f"local:{workers}")
    start = time.perf_counter()
    with scheduler_client(local) as client:
        client.run(warm, source.location, source.sha256)
        startup = time.perf_counter() - start
        cpu_before = client.run(cpu_seconds)
        spread = fresh_embed("local", scheduler=local, client=client)[0]
        worker_cpu = {w: t - cpu_before[w] for w, t in client.run(cpu_seconds).items()}
        start = time.perf_counter()
        list(map_partitions(noop, range(N_NOOP), scheduler=local, label="noop", client=client))
        overhead = (time.perf_counter() - start) / N_NOOP
        worker_peaks = client.run(peak_mib)
        threads = client.run(torch.get_num_threads)
    print(
        f"local:{workers}: start-up and model load {startup:.1f} s, embedding {spread:.2f} s "
        f"({n / spread:.1f} posts/s): {single / spread:.2f}x the in-process run with "
        f"{default_threads} threads, {ours / spread:.2f}x with one (goal >= 1.7); "
        f"with start-up {single / (spread + startup):.2f}x; {load()}"
    )
    busiest = max(worker_cpu.values())
    print(
        "worker CPU during the embedding: "
        + ", ".join(f"{t:.2f} s" for t in worker_cpu.values())
        + f"; estimate without other jobs (model, not measured): one-thread in-process CPU "
        f"{min(e[1] for e in embedded):.2f} s / busiest worker {busiest:.2f} s = "
        f"{min(e[1] for e in embedded) / busiest:.2f}x"
    )
    print(f"scheduler overhead: {1000 * overhead:.1f} ms per empty partition ({N_NOOP} of them)")
    print(
        "peak RSS: driver "
        f"{peak_mib():.0f} MiB; workers "
        + ", ".join(f"{mib:.0f} MiB" for mib in worker_peaks.values())
        + f" (torch threads per worker: {sorted(set(threads.values()))})"
    )
    print(f"studies left in {folder} (delete it when done)")
    if with_topics:
        bench_topics(folder, texts, local)


def bench_topics(folder: Path, texts: list[str], local: object) -> None:
    from earwitness.code.assist import _topics
    from earwitness.code.assist._embeddings import Embedder
    from earwitness.partitions import Scheduler, scheduler_client
    from earwitness.study import init_study
    from tests.code import assist_synth as synth

    originals = synth.posts(len(texts), seed=2024)
    posts = [replace(post, text=text) for post, text in zip(originals, texts, strict=False)]
    params = _topics.TopicParams(sample_size=len(texts) // 2, partition_size=100)
    timed: list[float] = []
    real = _topics._assign_rest

    def timing(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        timed.append(time.perf_counter() - start)
        return result

    _topics._assign_rest = timing  # type: ignore[assignment]
    partitions = -(-(len(texts) - params.sample_size) // params.partition_size)
    for name in ("in-process", "local"):
        study = init_study(folder / f"topics-{name}", name="bench (synthetic)")
        with study.open_store() as store:
            synth.add_posts(store, posts)
            Embedder.for_study(study, store).embed(texts)
            if name == "local":
                with scheduler_client(local) as client:  # type: ignore[arg-type]
                    embedder = Embedder.for_study(study, store, scheduler=local, client=client)  # type: ignore[arg-type]
                    _topics.discover_topics(store, embedder, params=params, zeroshot=False)
            else:
                embedder = Embedder.for_study(study, store, scheduler=Scheduler())
                _topics.discover_topics(store, embedder, params=params, zeroshot=False)
        print(
            f"topics {name}: {params.sample_size} fitted, the other "
            f"{len(texts) - params.sample_size} "
            f"assigned in {partitions} partitions in {timed[-1]:.2f} s "
            f"({1000 * timed[-1] / partitions:.0f} ms a partition, scatter and first-use "
            f"compilation on the workers included); {load()}"
        )


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--only-topics" in sys.argv:  # the topics phase alone
        from earwitness.partitions import parse_scheduler
        from tests.code import assist_synth as synth

        count = int(arguments[0]) if arguments else 1000
        posts = synth.posts(count, seed=2024)
        bench_topics(
            Path(tempfile.mkdtemp(prefix="bench-scale-topics-")),
            [f"{p.text} (synthetic post {i})" for i, p in enumerate(posts)],
            parse_scheduler(f"local:{arguments[1] if len(arguments) > 1 else 2}"),
        )
        sys.exit(0)
    main(
        int(arguments[0]) if arguments else 1000,
        int(arguments[1]) if len(arguments) > 1 else 2,
        "--topics" in sys.argv,
    )
