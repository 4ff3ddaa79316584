"""Benchmark: `code segment` + `code stance detect --method rules` on N SIMULATED posts,
in one process against a local Dask cluster of 2 workers (issue 26).

Measured in one run, on two copies of the same study:

* baseline: in-process (the default), segment then stance, wall and CPU seconds;
* ``local:2``: the same on a LocalCluster of 2 workers, cluster start-up included
  (goal: >= 1.7 x the in-process speed);
* rule stance on one core: segments per CPU second of the worker function (gazetteer +
  target-centred rules) on the study's partitions (goal: >= 2,000 segments/s);
* per-partition cost: worker CPU seconds and the driver's read + write seconds per
  partition, and the scheduler's overhead per task (a trivial task on the same cluster);
* peak resident memory of each worker and of the driver.

The posts come from templates (tests/code/assist_synth.py) and are labelled synthetic in
the study. Usage: ``.venv/bin/python benchmarks/bench_scale_text.py [N]`` (default 20000).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from earwitness.code import _segment
from earwitness.code.assist import _stance_run
from earwitness.code.assist._stance import Gazetteer
from earwitness.partitions import (
    Scheduler,
    from_parquet,
    map_partitions,
    parse_scheduler,
    scheduler_client,
)
from earwitness.study import Study, find_study, init_study
from tests.code import assist_synth as synth

SIZE = _segment.PARTITION_DOCUMENTS


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def nothing(index: int) -> int:
    return index


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@contextmanager
def timed(spent: dict[str, float], module: Any, name: str) -> Iterator[None]:
    """Add the wall seconds of every call of ``module.name`` to ``spent[name]``."""
    original: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def run_steps(study: Study, scheduler: Scheduler) -> dict[str, float]:
    spent: dict[str, float] = defaultdict(float)
    with (
        study.open_store() as store,
        timed(spent, _segment, "_texts"),
        timed(spent, _segment, "_write_partition"),
        timed(spent, _stance_run, "_segment_texts"),
        timed(spent, _stance_run, "_replace"),
    ):
        wall, cpu = time.perf_counter(), time.process_time()
        segmented = _segment.segment_documents(store, scheduler=scheduler)
        spent["segment_wall"] = time.perf_counter() - wall
        spent["segment_cpu"] = time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        report = _stance_run.run_mentions(store, Gazetteer(), method="rules", scheduler=scheduler)
        spent["stance_wall"] = time.perf_counter() - wall
        spent["stance_cpu"] = time.process_time() - cpu
    spent["segments_added"] = segmented.added
    spent["mentions"] = report["mentions"]
    return spent


def one_core(study: Study) -> tuple[int, int, float, float]:
    """(partitions, unit segments, worker CPU s for segmenting, for mentions + rules)."""
    jobs = []
    with study.open_store() as store:
        ranges = _stance_run._ranges(store, None, SIZE)
        texts = [_stance_run._segment_texts(store, None, bounds) for bounds in ranges]
        ids = _segment._documents_to_segment(store, None, redo=True)
        chunks = [ids[a : a + SIZE] for a in range(0, len(ids), SIZE)]
        jobs = [_segment.SegmentJob(_segment._texts(store, c), "", 280) for c in chunks]
    nlp = _segment.load_pipeline("")
    cpu = time.process_time()
    for job in jobs:
        _segment.segment_partition(job, nlp)
    segment_cpu = time.process_time() - cpu
    gazetteer = Gazetteer()
    cpu = time.process_time()
    for data in texts:
        _stance_run.stance_partition(_stance_run.StanceJob(data, gazetteer, "rules", "r"))
    stance_cpu = time.process_time() - cpu
    segments = sum(from_parquet(data).num_rows for data in texts)
    return len(texts), segments, segment_cpu, stance_cpu


def scheduler_overhead(scheduler: Scheduler, tasks: int = 200) -> float:
    start = time.perf_counter()
    list(map_partitions(nothing, range(tasks), scheduler=scheduler, label="overhead"))
    return (time.perf_counter() - start) / tasks


def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-text-"))
    base = init_study(folder / "base", name="bench (SIMULATED posts)")
    with base.open_store() as store:
        synth.add_documents(store, list(synth.forum_texts(n, seed=2026)))
    shutil.copytree(folder / "base", folder / "local")
    print(f"N={n} SIMULATED posts, partitions of {SIZE} documents, cpus {os.cpu_count()}")

    print(f"load before in-process: {load()}")
    single = run_steps(base, Scheduler())
    single_wall = single["segment_wall"] + single["stance_wall"]
    print(
        f"in-process: segment {single['segment_wall']:.1f} s wall ({single['segment_cpu']:.1f} "
        f"s CPU), stance {single['stance_wall']:.1f} s wall ({single['stance_cpu']:.1f} s CPU); "
        f"{int(single['segments_added'])} segments, {int(single['mentions'])} mentions; "
        f"driver peak RSS {peak_mib():.0f} MiB"
    )

    partitions, segments, segment_cpu, stance_cpu = one_core(base)
    print(
        f"one core, worker functions only: segmenting {n / segment_cpu:.0f} documents/CPU s, "
        f"mentions + rule stance {segments / stance_cpu:.0f} segments/CPU s (goal >= 2000) "
        f"over {segments} unit segments in {partitions} partitions"
    )
    driver_io = {
        "segment": (single["_texts"] + single["_write_partition"]) / partitions,
        "stance": (single["_segment_texts"] + single["_replace"]) / partitions,
    }
    print(
        f"per partition of {SIZE} documents: worker CPU segment {segment_cpu / partitions:.2f} s, "
        f"stance {stance_cpu / partitions:.2f} s; driver read+write segment "
        f"{driver_io['segment']:.2f} s, stance {driver_io['stance']:.2f} s"
    )

    print(f"load before local:2: {load()}")
    local = find_study(folder / "local")
    start = time.perf_counter()
    with scheduler_client(parse_scheduler("local:2")) as client:
        started = time.perf_counter() - start
        address = Scheduler("remote", address=client.scheduler_info()["address"])
        before = client.run(worker_cpu_s)
        driver_cpu = time.process_time()
        distributed = run_steps(local, address)
        driver_cpu = time.process_time() - driver_cpu
        used = {k: v - before[k] for k, v in client.run(worker_cpu_s).items()}
        overhead = scheduler_overhead(address)
        workers = client.run(worker_peak_mib)
    local_wall = time.perf_counter() - start
    print(
        f"local:2: cluster start {started:.1f} s, segment {distributed['segment_wall']:.1f} s, "
        f"stance {distributed['stance_wall']:.1f} s, total {local_wall:.1f} s wall; speed-up "
        f"{single_wall / local_wall:.2f} x in-process (goal >= 1.7; without start-up "
        f"{single_wall / (local_wall - started):.2f} x)"
    )
    busiest = max([*used.values(), driver_cpu])
    in_process_cpu = single["segment_cpu"] + single["stance_cpu"]
    print(
        "local:2 CPU: workers "
        + ", ".join(f"{v:.1f} s" for v in used.values())
        + f", driver {driver_cpu:.1f} s; in-process CPU {in_process_cpu:.1f} s"
        f" -> CPU-bound estimate of the speed-up on idle cores "
        f"{in_process_cpu / busiest:.2f} x"
    )
    print(
        f"scheduler overhead {overhead * 1000:.1f} ms per task (trivial task, 2 workers); "
        f"peak RSS per worker "
        + ", ".join(f"{v:.0f} MiB" for v in workers.values())
        + f"; load after: {load()}"
    )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
