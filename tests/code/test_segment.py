"""Segmentation: turns, short posts, paragraphs and sentences, in code points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from earwitness.code._codebook import parse_codebook_yaml, write_codebook
from earwitness.code._segment import load_pipeline, segment_documents, segment_text
from earwitness.errors import EarwitnessError
from earwitness.store import DocumentRecord, Store, upsert_document
from earwitness.store.schema import codes, codings, documents, segments

from .conftest import add_documents

LONG = (
    "  I tried LANDR on my EP. The low end came back bloated!\n\n"
    "Then I used Ozone's assistant — much better. Would I pay for it? Maybe.\n"
)


@pytest.fixture(scope="module")
def nlp() -> Any:
    return load_pipeline("")


def test_long_text_gives_paragraphs_and_sentences_within_them(nlp: Any) -> None:
    spans = segment_text(LONG, nlp=nlp, short_post_chars=40)
    texts = [(s.kind, LONG[s.start : s.end]) for s in spans]
    assert texts == [
        ("paragraph", "I tried LANDR on my EP. The low end came back bloated!"),
        ("sentence", "I tried LANDR on my EP."),
        ("sentence", "The low end came back bloated!"),
        ("paragraph", "Then I used Ozone's assistant — much better. Would I pay for it? Maybe."),
        ("sentence", "Then I used Ozone's assistant — much better."),
        ("sentence", "Would I pay for it?"),
        ("sentence", "Maybe."),
    ]


def test_a_short_post_is_one_segment_and_a_turn_is_one_segment(nlp: Any) -> None:
    assert [(s.kind, s.start, s.end) for s in segment_text(" Too loud. Too harsh. ", nlp=nlp)] == [
        ("post", 1, 21)
    ]
    spans = segment_text(LONG, document_kind="turn", nlp=nlp, short_post_chars=10)
    assert [(s.kind, s.start, s.end) for s in spans] == [("turn", 2, len(LONG) - 1)]
    assert segment_text(" \n ", nlp=nlp) == []


def test_offsets_are_code_points_not_bytes_or_utf16_units(nlp: Any) -> None:
    text = "🎧🎧 Mastered with AI. 𝄞 It sounds great.\n\nÀ bientôt, café crème."
    spans = segment_text(text, nlp=nlp, short_post_chars=5)
    sentences = [text[s.start : s.end] for s in spans if s.kind == "sentence"]
    assert sentences == ["🎧🎧 Mastered with AI.", "𝄞 It sounds great.", "À bientôt, café crème."]
    assert spans[-1].end == len(text)


def test_segmenting_the_study_is_idempotent(store: Store, nlp: Any) -> None:
    ids = add_documents(store)
    first = segment_documents(store, nlp=nlp, short_post_chars=60)
    assert first.documents == 3 and first.added > 0
    again = segment_documents(store, nlp=nlp, short_post_chars=60)
    assert (again.documents, again.added) == (0, 0)
    redo = segment_documents(store, nlp=nlp, short_post_chars=60, redo=True)
    assert (redo.documents, redo.added, redo.removed) == (3, 0, 0)
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(segments.c.kind, segments.c.start, segments.c.end).where(
                segments.c.document_id == ids["t3"]
            )
        ).all()
    assert [tuple(r) for r in rows] == [("post", 0, 21)]


def test_a_changed_text_is_resegmented_and_codings_keep_their_span(store: Store, nlp: Any) -> None:
    ids = add_documents(store)
    segment_documents(store, nlp=nlp)
    write_codebook(store, parse_codebook_yaml("codes:\n  - name: Cost\n"))
    with store.transaction() as connection:
        segment_id = connection.execute(
            sa.select(segments.c.id).where(segments.c.document_id == ids["t3"])
        ).scalar_one()
        code_id = connection.execute(sa.select(codes.c.id)).scalar_one()
        connection.execute(
            codings.insert().values(
                guid="c1", document_id=ids["t3"], segment_id=segment_id, start=0, end=21,
                code_id=code_id, origin="human", status="applied",
            )
        )  # fmt: skip
        upsert_document(
            connection, DocumentRecord(platform="forum", native_id="t3", text="Too expensive.")
        )
    run = segment_documents(store, nlp=nlp, redo=True)
    assert (run.added, run.removed) == (1, 1)
    with store.connect() as connection:
        coding = connection.execute(sa.select(codings.c.segment_id, codings.c.end)).one()
        text = connection.execute(
            sa.select(documents.c.text).where(documents.c.id == ids["t3"])
        ).scalar_one()
    assert (coding.segment_id, coding.end) == (None, 21)
    assert text == "Too expensive."


def test_an_uninstalled_model_is_one_clear_error() -> None:
    with pytest.raises(EarwitnessError, match="'en_core_web_nope' is not installed"):
        load_pipeline("en_core_web_nope")


def test_segment_command(invoke: Callable[..., Any], store: Store) -> None:
    add_documents(store)
    result = invoke("code", "segment")
    assert result.exit_code == 0, result.output
    assert "Segmented 3 documents with blank English + sentencizer" in result.output
    assert "Segmented 0 documents" in invoke("code", "segment").output
