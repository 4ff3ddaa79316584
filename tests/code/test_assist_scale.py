"""Embeddings and topics on Dask workers (issue 26), with the real packaged MiniLM model
and SYNTHETIC posts: the same vectors (within 1e-5) and the same topics in-process, on a
real LocalCluster and on a separately started scheduler; the model loads once per worker;
a worker killed mid-step changes nothing; a driver killed mid-step, then rerun, leaves
exactly the rows of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from earwitness.code.assist import _topics
from earwitness.code.assist._embeddings import (
    PACKAGED_MODEL_SHA256,
    Embedder,
    EncodeTask,
    array_vectors,
    encode_partition,
    model_loads,
    resolve_model,
    vector_array,
)
from earwitness.code.assist._topics import TopicParams, discover_topics
from earwitness.errors import EarwitnessError
from earwitness.partitions import (
    Scheduler,
    from_parquet,
    parse_scheduler,
    scheduler_client,
    to_parquet,
)
from earwitness.privacy import sha256_text
from earwitness.store.schema import embeddings, topic_runs, topic_segments, topics
from earwitness.study import Study, init_study
from tests.code import assist_synth as synth
from tests.helpers import dask_scheduler, invoke_cli

TOLERANCE = 1e-5  # largest difference of one vector component between schedulers
TEXTS = [f"{post.text} (synthetic {i})" for i, post in enumerate(synth.posts(48, seed=26))]
PARTITION = 4
IN_PROCESS = Scheduler()


def test_vectors_cross_as_fixed_size_binary_unchanged() -> None:
    vectors = np.random.default_rng(0).normal(size=(5, 384)).astype(np.float32)
    column = vector_array(vectors)
    assert column.type.byte_width == 384 * 4
    np.testing.assert_array_equal(array_vectors(column.slice(1, 3)), vectors[1:4])


def _task(location: str, sha256: str) -> EncodeTask:
    texts = to_parquet([{"text_sha256": sha256_text("x"), "text": "x"}])
    return EncodeTask(location, sha256, "cpu", 64, True, texts)


def test_a_worker_refuses_weights_that_are_not_the_ones_the_study_resolved(
    tmp_path: Path,
) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    with pytest.raises(EarwitnessError, match="sha256") as caught:
        encode_partition(_task(str(tmp_path), PACKAGED_MODEL_SHA256))
    assert "\n" not in str(caught.value)


def test_a_worker_uses_its_own_packaged_copy_when_the_drivers_path_is_not_there() -> None:
    _, vectors = _read(encode_partition(_task("/elsewhere/model", PACKAGED_MODEL_SHA256)))
    assert vectors.shape == (1, 384)
    assert model_loads().get(resolve_model().location, 0) >= 1


def _read(data: bytes) -> tuple[list[str], np.ndarray]:
    table = from_parquet(data)
    return table.column("text_sha256").to_pylist(), array_vectors(table.column("vector"))


def _embed(
    study: Study, scheduler: Scheduler = IN_PROCESS, client: Any = None, **kwargs: Any
) -> np.ndarray:
    with study.open_store() as store:
        embedder = Embedder.for_study(
            study, store, scheduler=scheduler, client=client, partition_size=PARTITION
        )
        return embedder.embed(TEXTS, **kwargs)


def _stored(study: Study) -> dict[str, np.ndarray]:
    with study.open_store() as store, store.connect() as connection:
        rows = connection.execute(sa.select(embeddings.c.text_sha256, embeddings.c.vector))
        return {key: np.frombuffer(blob, "<f4") for key, blob in rows}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    study = init_study(tmp_path_factory.mktemp("reference") / "study")
    vectors = _embed(study)
    assert len(_stored(study)) == len(TEXTS)
    return vectors


def _same(vectors: np.ndarray, reference: np.ndarray) -> None:
    assert vectors.shape == reference.shape
    assert float(np.abs(vectors - reference).max()) <= TOLERANCE


@pytest.mark.slow
def test_local_and_remote_workers_embed_like_this_process_and_load_the_model_once_each(
    tmp_path: Path, reference: np.ndarray
) -> None:
    local = parse_scheduler("local:2")
    with scheduler_client(local) as client:
        on_local = _embed(init_study(tmp_path / "local"), local, client)
        loads = client.run(model_loads)
    _same(on_local, reference)
    # 12 partitions on 2 workers: each worker loaded the weights exactly once
    assert sorted(sum(counts.values()) for counts in loads.values()) == [1, 1]
    remote_study = init_study(tmp_path / "remote")
    with dask_scheduler(workers=1) as address:
        _same(_embed(remote_study, parse_scheduler(address)), reference)
    assert len(_stored(remote_study)) == len(TEXTS)


@pytest.mark.slow
def test_a_worker_killed_mid_embedding_changes_nothing(
    tmp_path: Path, reference: np.ndarray
) -> None:
    study = init_study(tmp_path / "study")
    local = parse_scheduler("local:2")
    done: list[int] = []
    with scheduler_client(local) as client:

        def kill_a_worker(count: int) -> None:
            done.append(count)
            if len(done) == 1:
                os.kill(next(iter(client.run(os.getpid).values())), signal.SIGKILL)

        vectors = _embed(study, local, client, on_progress=kill_a_worker)
    assert len(done) == len(TEXTS) // PARTITION  # partitions were still running after the kill
    _same(vectors, reference)
    assert len(_stored(study)) == len(TEXTS)


@pytest.mark.slow
def test_a_driver_killed_mid_embedding_then_rerun_leaves_the_uninterrupted_rows(
    tmp_path: Path, reference: np.ndarray
) -> None:
    study = init_study(tmp_path / "study")
    script = textwrap.dedent(
        f"""
        import os, signal
        from earwitness.code.assist._embeddings import Embedder
        from earwitness.partitions import parse_scheduler
        from earwitness.study import find_study
        from tests.code.test_assist_scale import TEXTS, PARTITION
        done = []
        def die_after_two(count):
            done.append(count)
            if len(done) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        if __name__ == "__main__":
            study = find_study({str(study.root)!r})
            with study.open_store() as store:
                Embedder.for_study(
                    study, store, scheduler=parse_scheduler("local:1"), partition_size=PARTITION
                ).embed(TEXTS, on_progress=die_after_two)
        """
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", script], stderr=subprocess.DEVNULL, env=env)
    assert killed.returncode == -signal.SIGKILL
    assert len(_stored(study)) == 2 * PARTITION  # two partitions, each whole
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store, partition_size=PARTITION)
        _same(embedder.embed(TEXTS), reference)
        assert (embedder.stats.cached, embedder.stats.encoded) == (8, len(TEXTS) - 8)
    stored = _stored(study)
    assert len(stored) == len(TEXTS)
    for text, vector in zip(TEXTS, reference, strict=True):
        assert float(np.abs(stored[sha256_text(text)] - vector).max()) <= TOLERANCE


# --- topics: fitted on a sample, the rest assigned in partitions --------------------------

TOPIC_POSTS = 300
TOPIC_PARAMS = TopicParams(sample_size=150, partition_size=10)  # 15 partitions of 10


@pytest.fixture(scope="module")
def topic_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Study, dict[str, Any]]:
    study = init_study(tmp_path_factory.mktemp("topics") / "study")
    with study.open_store() as store:
        synth.add_codebook(store)
        synth.add_posts(store, list(synth.posts(TOPIC_POSTS, seed=3)))
        run_id = discover_topics(store, Embedder.for_study(study, store), params=TOPIC_PARAMS)
    return study, _topic_rows(study, run_id)


def _topic_rows(study: Study, run_id: int) -> dict[str, Any]:
    with study.open_store() as store, store.connect() as connection:
        members = connection.execute(
            sa.select(topics.c.topic_num, topic_segments.c.segment_id, topic_segments.c.probability)
            .join(topics, topics.c.id == topic_segments.c.topic_id)
            .where(topics.c.run_id == run_id)
            .order_by(topic_segments.c.segment_id)
        ).all()
        described = connection.execute(
            sa.select(topics.c.topic_num, topics.c.terms, topics.c.size).where(
                topics.c.run_id == run_id
            )
        ).all()
    return {
        "members": [(row.segment_id, row.topic_num) for row in members],
        "probabilities": [row.probability for row in members],
        "topics": sorted((row.topic_num, str(row.terms), row.size) for row in described),
    }


def _run_topics(study: Study, scheduler: Scheduler, client: Any = None) -> dict[str, Any]:
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store, scheduler=scheduler, client=client)
        return _topic_rows(study, discover_topics(store, embedder, params=TOPIC_PARAMS))


@pytest.mark.slow
def test_the_sampled_run_assigns_every_segment_once(topic_study: tuple[Study, Any]) -> None:
    _, rows = topic_study
    _assigned_once(rows)


def _assigned_once(rows: dict[str, Any]) -> None:
    assert len(rows["members"]) == TOPIC_POSTS
    assert len({segment for segment, _ in rows["members"]}) == TOPIC_POSTS
    assert -1 not in {topic for _, topic in rows["members"]}


@pytest.mark.slow
def test_without_zero_shot_the_predicted_outliers_are_reassigned_too(
    topic_study: tuple[Study, Any],
) -> None:
    study, _ = topic_study
    with study.open_store() as store:
        run_id = discover_topics(
            store, Embedder.for_study(study, store), params=TOPIC_PARAMS, zeroshot=False
        )
    _assigned_once(_topic_rows(study, run_id))


@pytest.mark.slow
def test_topics_on_a_local_cluster_with_a_worker_killed_match_this_process(
    topic_study: tuple[Study, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    study, expected = topic_study
    local = parse_scheduler("local:2")
    with scheduler_client(local) as client:
        real = _topics.map_partitions

        def kill_after_the_first(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for index, result in enumerate(real(*args, **kwargs)):
                if index == 0:
                    os.kill(next(iter(client.run(os.getpid).values())), signal.SIGKILL)
                yield result

        monkeypatch.setattr(_topics, "map_partitions", kill_after_the_first)
        assert _run_topics(study, local, client) == expected


@pytest.mark.slow
def test_topics_on_a_separately_started_scheduler_match_this_process(
    topic_study: tuple[Study, Any],
) -> None:
    study, expected = topic_study
    with dask_scheduler(workers=1) as address:
        assert _run_topics(study, parse_scheduler(address)) == expected


@pytest.mark.parametrize("command", [["suggest"], ["topics"]])
def test_a_bad_scheduler_on_the_command_line_is_one_clear_line(
    study: Study, command: list[str]
) -> None:
    result = invoke_cli("--study", str(study.root), "code", *command, "--scheduler", "slurm")
    assert result.code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--scheduler" in lines[0] and "slurm" in lines[0]


@pytest.mark.slow
def test_a_driver_killed_mid_topics_stores_nothing_and_the_rerun_matches(
    topic_study: tuple[Study, Any],
) -> None:
    study, expected = topic_study
    script = textwrap.dedent(
        f"""
        import os, signal
        from earwitness.code.assist import _topics
        from earwitness.code.assist._embeddings import Embedder
        from earwitness.study import find_study
        from tests.code.test_assist_scale import TOPIC_PARAMS
        real = _topics.map_partitions
        def die_after_one(*args, **kwargs):
            for result in real(*args, **kwargs):
                os.kill(os.getpid(), signal.SIGKILL)
                yield result
        _topics.map_partitions = die_after_one
        if __name__ == "__main__":
            study = find_study({str(study.root)!r})
            with study.open_store() as store:
                embedder = Embedder.for_study(study, store)
                _topics.discover_topics(store, embedder, params=TOPIC_PARAMS)
        """
    )
    runs_before = _run_ids(study)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", script], stderr=subprocess.DEVNULL, env=env)
    assert killed.returncode == -signal.SIGKILL
    assert _run_ids(study) == runs_before
    assert _run_topics(study, IN_PROCESS) == expected


def _run_ids(study: Study) -> list[int]:
    with study.open_store() as store, store.connect() as connection:
        return list(connection.execute(sa.select(topic_runs.c.id)).scalars())
