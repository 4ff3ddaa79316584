"""ItemWriter: privacy, provenance, raw archive, cursor and the all-or-nothing page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from earwitness.collect import CollectedItem, ItemWriter, RawResponse, RunSummary
from earwitness.privacy import pseudonym, sha256_text
from earwitness.store import RawArchive, Store, read_raw_record
from earwitness.store.schema import (
    collection_cursors,
    collection_seen,
    documents,
    group_evidence,
    participants,
    sources,
)
from earwitness.study import Study
from tests.helpers import database_text


def _item(native_id: str, text: str, author: str | None = "MixEngineer_77", **kw: object):
    return CollectedItem(
        platform="reddit",
        native_id=native_id,
        kind="comment",
        text=text,
        author=author,
        thread_native_id="t3_abc",
        parent_native_id="t3_abc",
        score=kw.pop("score", 3),  # type: ignore[arg-type]
        authored_at=datetime(2024, 1, 2, tzinfo=UTC),
        **kw,  # type: ignore[arg-type]
    )


def _response(body: str = '{"data": 1}') -> RawResponse:
    return RawResponse(
        url="https://oauth.reddit.com/r/x/new?limit=100&access_token=SEKRIT",
        status=200,
        headers={"Authorization": "bearer SEKRIT", "x-ratelimit-remaining": "99"},
        body=body,
    )


def _writer(study: Study, store: Store, **kw: object) -> ItemWriter:
    return ItemWriter(study, store, source="reddit", query_key="r/x|new|", query="new", **kw)  # type: ignore[arg-type]


def test_page_is_private_and_provenanced(any_study: Study) -> None:
    with any_study.open_store() as store:
        writer = _writer(any_study, store)
        writer.write_page(
            [
                _item(
                    "t1_a",
                    "I've been mixing for 10 years, mail me at mix@example.org, ask u/SomeoneElse",
                    flair="Professional mastering engineer",
                ),
                _item("t1_b", "just a hobbyist here", author="[deleted]"),
            ],
            responses=[_response()],
            state={"after": "t1_b"},
        )
        with store.connect() as connection:
            rows = {r.native_id: r for r in connection.execute(sa.select(documents))}
            people = connection.execute(sa.select(participants.c.pseudonym)).scalars().all()
            source = connection.execute(sa.select(sources)).one()
            cursor = connection.execute(sa.select(collection_cursors)).one()
            seen = connection.execute(sa.select(collection_seen.c.native_id)).scalars().all()
            evidence = connection.execute(sa.select(group_evidence)).all()
    key = any_study.key()
    assert people == [pseudonym("MixEngineer_77", key)]
    text = rows["t1_a"].text
    assert "mix@example.org" not in text and "[email]" in text
    assert "SomeoneElse" not in text and pseudonym("SomeoneElse", key) in text
    assert rows["t1_b"].participant_id is None
    assert rows["t1_a"].source_id == source.id
    assert source.query == "new" and len(source.content_sha256) == 64
    assert "SEKRIT" not in (source.url or "")
    pending = {"pseudonyms": [pseudonym("MixEngineer_77", key)], "platforms": ["reddit"]}
    assert cursor.state == {"after": "t1_b", "sweep": pending} and cursor.done is False
    assert sorted(seen) == ["t1_a", "t1_b"]
    assert all(e.participant_id == rows["t1_a"].participant_id for e in evidence)
    record = read_raw_record(any_study.root, source.raw_pointer)
    assert record["status"] == 200 and record["body"] == '{"data": 1}'
    assert "SEKRIT" not in str(record)
    assert record["headers"] == {"x-ratelimit-remaining": "99"}


def test_group_evidence_is_stored_with_its_span(study: Study, store: Store) -> None:
    writer = _writer(study, store)
    text = "I'm a professional mastering engineer and I tried LANDR once."
    writer.write_page([_item("t1_e", text)], state={})
    with store.connect() as connection:
        evidence = connection.execute(sa.select(group_evidence)).all()
        participant = connection.execute(sa.select(participants)).one()
    assert evidence, "the self-description should be stored as candidate evidence"
    for row in evidence:
        assert text[row.start : row.end] == row.quote
    assert participant.user_group == "unknown"  # evidence only: the group is not decided here


def test_resume_state_and_seen_survive_a_new_writer(study: Study, store: Store) -> None:
    _writer(study, store).write_page([_item("t1_a", "one")], state={"after": "x", "n": 1})
    again = _writer(study, store)
    assert again.resume_state() == {"after": "x", "n": 1}
    assert again.seen("t1_a") and not again.seen("t1_z")
    assert not again.is_done()
    again.write_page([], state={"after": None, "n": 1}, done=True)
    assert _writer(study, store).is_done()


def test_recollecting_updates_and_keeps_deleted_text(study: Study, store: Store) -> None:
    summary = RunSummary()
    writer = _writer(study, store, summary=summary)
    writer.write_page([_item("t1_a", "original words", score=1)], state={})
    writer.write_page([_item("t1_a", "original words", score=5)], state={})
    writer.write_page([_item("t1_a", "[deleted]", author="[deleted]", score=5)], state={})
    writer.write_page([_item("t1_a", "original words", score=5)], state={})
    assert (summary.new, summary.updated, summary.deleted) == (1, 1, 1)
    with store.connect() as connection:
        row = connection.execute(sa.select(documents)).one()
    assert row.score == 5 and row.text == "original words"


def test_a_failing_page_writes_nothing(study: Study, store: Store) -> None:
    writer = _writer(study, store)
    writer.write_page([_item("t1_a", "kept")], state={"page": 1})
    bad = _item("t1_b", "never stored", extra={"not json": object()})
    with pytest.raises(sa.exc.StatementError):
        writer.write_page([_item("t1_c", "also not stored"), bad], state={"page": 2})
    with store.connect() as connection:
        ids = connection.execute(sa.select(documents.c.native_id)).scalars().all()
    assert ids == ["t1_a"]
    fresh = _writer(study, store)
    assert fresh.resume_state() == {"page": 1} and not fresh.seen("t1_c")


def test_raw_archive_off_keeps_no_response(study: Study, store: Store) -> None:
    study.settings["keep_raw"] = False
    _writer(study, store).write_page([_item("t1_a", "x")], responses=[_response()], state={})
    assert list(RawArchive(study.raw_dir).records()) == []
    with store.connect() as connection:
        assert connection.execute(sa.select(sources.c.raw_pointer)).scalar() is None


def test_known_handles_are_replaced_in_every_stored_field(study: Study, store: Store) -> None:
    """AutoModerator greets the submitter by name; links to profiles sit in ``extra``."""
    writer = _writer(study, store)
    submission = CollectedItem(
        platform="reddit",
        native_id="t3_abc",
        kind="submission",
        text="Is AI mastering good enough for an EP?",
        author="dl-proto",
        thread_native_id="t3_abc",
        title="AI mastering for dl-proto's EP",
        url="https://www.reddit.com/user/dl-proto/comments/abc/x/",
        extra={"permalink": "/r/x/comments/abc/", "links": ["https://reddit.com/user/Dieketzer"]},
    )
    automod = _item(
        "t1_auto",
        "Hi dl-proto, your submission has been removed. Please read the rules.",
        author="AutoModerator",
    )
    writer.write_page([submission, automod], state={})
    # a reply naming someone who only posts later: replaced when that handle is learnt
    writer.write_page([_item("t1_b", "I know what you mean dieketzer.")], state={})
    later = _item("t1_c", "Thanks, all.", author="Dieketzer")
    writer.write_page([later], state={})
    key = study.key()
    with store.connect() as connection:
        rows = {r.native_id: r for r in connection.execute(sa.select(documents))}
    assert rows["t1_auto"].text.startswith(f"Hi {pseudonym('dl-proto', key)}, your submission")
    assert rows["t1_b"].text == f"I know what you mean {pseudonym('dieketzer', key)}."
    assert rows["t1_b"].text_sha256 == sha256_text(rows["t1_b"].text)
    assert rows["t3_abc"].title == f"AI mastering for {pseudonym('dl-proto', key)}'s EP"
    assert rows["t3_abc"].url == "[profile-url]comments/abc/x/"
    assert rows["t3_abc"].extra["links"] == ["[profile-url]"]
    text = database_text(store).casefold()
    for handle in ("dl-proto", "dieketzer", "automoderator", "mixengineer_77"):
        assert handle not in text


def test_names_of_other_people_in_a_post_are_masked_and_the_author_pseudonymised(
    study: Study, store: Store
) -> None:
    writer = _writer(study, store)
    writer.write_page(
        [
            _item("t1_a", "Sent my EP to LANDR.", author="Jenny_Mixes"),
            _item(
                "t1_b",
                "Jenny_Mixes, my teacher Marcus Whitaker says Ozone 11 beats it for trap.",
                author="beatsbyx",
                title="Thanks, Priya Raman, for the tip",
            ),
        ],
        state={"after": "t1_b"},
    )
    with store.connect() as connection:
        rows = dict(connection.execute(sa.select(documents.c.native_id, documents.c.text)).all())
    author = pseudonym("Jenny_Mixes", study.key())
    assert rows["t1_b"] == f"{author}, my teacher [name] says Ozone 11 beats it for trap."
    stored = database_text(store)
    for name in ("Marcus", "Whitaker", "Priya", "Raman", "Jenny_Mixes"):
        assert name not in stored
