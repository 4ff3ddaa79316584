"""BERTopic discovery on 300 labelled SYNTHETIC posts with the real packaged MiniLM model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.code import code_guid
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._topics import TopicParams, discover_topics, promote_topic, topic_table
from earwitness.errors import EarwitnessError
from earwitness.store import set_user_group
from earwitness.store.schema import codes, participants, topic_runs, topic_segments, topics
from earwitness.study import Study, init_study
from tests.code import assist_synth as synth

pytestmark = pytest.mark.slow
N = 300


@pytest.fixture(scope="module")
def discovered(tmp_path_factory: pytest.TempPathFactory):
    study = init_study(tmp_path_factory.mktemp("topics") / "study")
    items = list(synth.posts(N, seed=1))
    with study.open_store() as store:
        code_ids = synth.add_codebook(store)
        segment_ids = synth.add_posts(store, items)
        with store.transaction() as connection:
            for post in items:
                pid = connection.execute(
                    sa.select(participants.c.id).where(participants.c.pseudonym == post.author)
                ).scalar_one()
                set_user_group(connection, pid, post.group, method="synthetic")
        run_id = discover_topics(store, Embedder.for_study(study, store))
    theme_of = {sid: post.theme for post, sid in zip(items, segment_ids, strict=True)}
    return study, run_id, theme_of, code_ids


def _members(study: Study, run_id: int) -> dict[int, list[tuple[int, bool]]]:
    with study.open_store() as store, store.connect() as connection:
        rows = connection.execute(
            sa.select(
                topics.c.topic_num, topic_segments.c.segment_id, topic_segments.c.representative
            )
            .join(topics, topics.c.id == topic_segments.c.topic_id)
            .where(topics.c.run_id == run_id)
        )
        found: dict[int, list[tuple[int, bool]]] = {}
        for row in rows:
            found.setdefault(row.topic_num, []).append((row.segment_id, row.representative))
    return found


def test_every_segment_lands_in_exactly_one_topic_after_outlier_reduction(discovered) -> None:
    study, run_id, theme_of, _ = discovered
    members = _members(study, run_id)
    assigned = [sid for rows in members.values() for sid, _ in rows]
    assert sorted(assigned) == sorted(theme_of)
    assert -1 not in members
    assert all(1 <= sum(rep for _, rep in rows) <= 5 for rows in members.values())


def test_run_parameters_terms_and_groups_are_stored(discovered) -> None:
    study, run_id, _, _ = discovered
    with study.open_store() as store, store.connect() as connection:
        run = connection.execute(sa.select(topic_runs).where(topic_runs.c.id == run_id)).one()
        rows = connection.execute(sa.select(topics).where(topics.c.run_id == run_id)).all()
    assert run.params["seed"] == 42 and run.params["segments"] == N
    assert "ngram_range=(1, 2)" in run.params["vectorizer"]
    assert len(rows) >= 3
    all_terms = [term for row in rows for term, _ in row.terms]
    assert all_terms and not {"the", "and", "is", "my"} & set(all_terms), "English stop words"
    assert any(" " in term for term in all_terms), "bigrams"
    assert sum(row.size for row in rows) == N
    groups = {g for row in rows for g in row.extra["per_group"]}
    assert groups == {"amateur", "pro-am", "professional"}
    assert all(row.extra["over_time"] for row in rows), "dated forum posts give topics over time"


def test_zero_shot_topics_map_to_their_codes(discovered) -> None:
    study, run_id, theme_of, code_ids = discovered
    name_of = {v: k for k, v in code_ids.items()}
    with study.open_store() as store, store.connect() as connection:
        mapped = connection.execute(
            sa.select(topics.c.topic_num, topics.c.code_id).where(
                topics.c.run_id == run_id, topics.c.code_id.is_not(None)
            )
        ).all()
    assert mapped, "some segments are close enough to a code's definition"
    members = _members(study, run_id)
    for topic_num, code_id in mapped:
        themes = Counter(theme_of[sid] for sid, _ in members[topic_num])
        assert themes.most_common(1)[0][0] == name_of[code_id]


def test_a_second_run_with_the_same_seed_finds_the_same_topics(discovered) -> None:
    study, run_id, _, _ = discovered
    with study.open_store() as store:
        again = discover_topics(store, Embedder.for_study(study, store), params=TopicParams())
    first = {num: sorted(s for s, _ in rows) for num, rows in _members(study, run_id).items()}
    second = {num: sorted(s for s, _ in rows) for num, rows in _members(study, again).items()}
    assert first == second


def test_promoting_a_topic_makes_a_code_with_its_representatives(discovered) -> None:
    study, run_id, _, _ = discovered
    with study.open_store() as store:
        with store.connect() as connection:
            free = (
                connection.execute(
                    sa.select(topics.c.id).where(
                        topics.c.run_id == run_id, topics.c.code_id.is_(None)
                    )
                )
                .scalars()
                .first()
            )
        assert free is not None
        table = {row["topic"]: row for row in topic_table(store, run_id)}
        code_id = promote_topic(
            store, free, name="stems and workflow", parent="workflow integration"
        )
        with store.connect() as connection:
            code = connection.execute(sa.select(codes).where(codes.c.id == code_id)).one()
            linked = connection.execute(
                sa.select(topics.c.code_id).where(topics.c.id == free)
            ).scalar()
        assert linked == code_id
        assert code.origin == "topic"
        assert code.guid == code_guid(("workflow integration", "stems and workflow"))
        assert [e["quote"] for e in code.examples] == table[free]["representative"]
        assert "top terms" in code.definition
        with pytest.raises(EarwitnessError, match="already the code"):
            promote_topic(store, free)
        with pytest.raises(EarwitnessError, match="parent code 'nope' not found"):
            promote_topic(store, _other(table, free), parent="nope")
        with pytest.raises(EarwitnessError, match="no topic with id"):
            promote_topic(store, 10**6)


def _other(table: dict, taken: int) -> int:
    return next(t for t, row in table.items() if t != taken and not row["code"])


def test_cli_show_run_and_promote(discovered) -> None:
    study, run_id, _, _ = discovered
    runner = CliRunner()
    base = ["--study", str(study.root), "code"]
    result = runner.invoke(cli, [*base, "topics", "--show-run", str(run_id), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"topic", "terms", "representative", "code", "groups"} <= set(rows[0])
    free = next(row["topic"] for row in rows if not row["code"])
    result = runner.invoke(cli, [*base, "promote-topic", str(free), "--name", "from the cli"])
    assert result.exit_code == 0, result.output
    assert "is now code" in result.output


def test_too_few_segments_is_a_clear_error(tmp_path: Path) -> None:
    study = init_study(tmp_path / "small")
    with study.open_store() as store:
        synth.add_posts(store, list(synth.posts(10)))
        with pytest.raises(EarwitnessError, match="at least 50 segments"):
            discover_topics(store, Embedder.for_study(study, store))
