"""Interview transcripts: parsing every format, and the private, idempotent import."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.collect._transcripts import parse_transcript
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.privacy import pseudonym
from earwitness.store import Store
from earwitness.store.schema import documents, group_evidence, participants, sources
from earwitness.study import Study
from tests.helpers import database_text, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
# Every name the fixture transcripts contain; none may reach the database.
NAMES = ("Dana", "Whitfield", "Riley", "Moss", "Sam Okafor", "Okafor", "Kai", "Brennan")


def _run(study: Study, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--study", str(study.root), "import", "transcript", *args])
    if isinstance(result.exception, EarwitnessError):
        return result.exception.exit_code, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _turns(store: Store) -> list[sa.Row]:
    with store.connect() as connection:
        return list(
            connection.execute(
                sa.select(documents, participants.c.pseudonym, participants.c.kind.label("pkind"))
                .join(participants, participants.c.id == documents.c.participant_id)
                .order_by(documents.c.native_id)
            )
        )


# --- parsing ------------------------------------------------------------------------------


def test_zoom_vtt_merges_cues_of_one_speaker_and_keeps_times() -> None:
    transcript = parse_transcript(FIXTURES / "zoom.vtt")
    assert transcript.format == "vtt"
    assert [t.speaker for t in transcript.turns] == [
        "Interviewer",
        "Dana Whitfield",
        "Interviewer",
        "Dana Whitfield",
    ]
    second = transcript.turns[1]
    assert (second.start_s, second.end_s) == (6.1, 16.0)
    assert second.text.startswith("Sure. I've been mixing for 12 years")
    assert second.text.endswith("LANDR is a competitor, sort of.")


def test_teams_vtt_voice_spans_tags_entities_and_note_blocks() -> None:
    transcript = parse_transcript(FIXTURES / "teams.vtt")
    assert transcript.speakers == ["Sam Okafor", "Riley Moss"]
    riley = transcript.turns[1]
    assert riley.text == "Honestly I'm just a hobbyist & it was on sale. It gets me close enough."
    assert (riley.start_s, riley.end_s) == (4.2, 10.1)
    assert transcript.turns[2].speaker == "Sam Okafor"  # <v.loud Sam Okafor>
    assert all("not a turn" not in t.text for t in transcript.turns)


def test_srt_cue_without_label_continues_the_speaker() -> None:
    transcript = parse_transcript(FIXTURES / "otter.srt")
    assert transcript.format == "srt"
    assert [t.speaker for t in transcript.turns] == ["Moderator", "Speaker 2", "Moderator"]
    assert transcript.turns[1].text.endswith("I tried eMastered on two of them last month.")
    assert (transcript.turns[1].start_s, transcript.turns[1].end_s) == (6.0, 12.75)


def test_otter_text_export_headings_give_start_and_end() -> None:
    transcript = parse_transcript(FIXTURES / "otter.txt")
    assert [(t.speaker, t.start_s, t.end_s) for t in transcript.turns] == [
        ("Interviewer", 2.0, 7.0),
        ("Kai Brennan", 7.0, 75.0),
        ("Interviewer", 75.0, 80.0),
        ("Kai Brennan", 80.0, None),
    ]
    assert transcript.turns[1].text.endswith("Most of my work is demos.")


def test_plain_text_with_line_times_and_continuation_lines() -> None:
    transcript = parse_transcript(FIXTURES / "plain.txt")
    assert [t.speaker for t in transcript.turns] == ["I", "P", "I", "P"]
    assert transcript.turns[1].text == (
        "Mostly my ears. I'm not a professional,\nbut I've been producing since 2015."
    )
    assert transcript.turns[1].start_s == 9.0
    assert transcript.turns[1].end_s == 62.0


def _write_docx(path: Path, paragraphs: list[str] = (), table: list[list[str]] = ()) -> Path:  # type: ignore[assignment]
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def test_docx_paragraphs(tmp_path: Path) -> None:
    path = _write_docx(
        tmp_path / "interview.docx",
        ["Interview 4 (written for the tests)", "", "Interviewer: Hello.", "Ana: I'm a hobbyist."],
    )
    titled = parse_transcript(path)  # a document title before the first turn is a header
    assert [(t.speaker, t.text) for t in titled.turns] == [
        ("Interviewer", "Hello."),
        ("Ana", "I'm a hobbyist."),
    ]
    path = _write_docx(
        tmp_path / "ok.docx", ["Interviewer: Hello.", "Ana: I'm a hobbyist.", "Really."]
    )
    transcript = parse_transcript(path)
    assert transcript.format == "docx"
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("Interviewer", "Hello."),
        ("Ana", "I'm a hobbyist.\nReally."),
    ]


def test_docx_table_of_time_speaker_text(tmp_path: Path) -> None:
    path = _write_docx(
        tmp_path / "table.docx",
        table=[["00:00:03", "Interviewer", "First question?"], ["00:00:08", "Ana", "An answer."]],
    )
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.start_s, t.end_s) for t in turns] == [
        ("Interviewer", 3.0, 8.0),
        ("Ana", 8.0, None),
    ]


def test_malformed_timing_names_file_and_row() -> None:
    with pytest.raises(BadInputError) as error:
        parse_transcript(FIXTURES / "broken.vtt")
    assert "broken.vtt, row 4: malformed cue timing" in str(error.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nA: x\n", "ends .* before it starts"),
        ("b.vtt", "not webvtt\n", "must begin with WEBVTT"),
        ("c.txt", "just some words before\nP: a turn\n", "text before the first"),
        ("e.txt", "", "no text found"),
    ],
)
def test_bad_transcripts_fail_with_one_clear_line(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInputError, match=message):
        parse_transcript(path)


def test_mac_roman_is_detected_and_windows_1252_still_read(tmp_path: Path) -> None:
    mac = parse_transcript(FIXTURES / "macroman.txt")
    assert mac.turns[1].text == "Ich mag den Klang, “sehr warm” – écht gut für Lo-Fi."
    path = tmp_path / "cp1252.txt"
    path.write_bytes("P: déjà vu, “wirklich” – schön\n".encode("cp1252"))
    assert parse_transcript(path).turns[0].text == "déjà vu, “wirklich” – schön"


def test_encoding_option_is_used_and_a_wrong_one_refused(study: Study, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("P: déjà vu\n".encode("latin-1"))
    assert parse_transcript(path, encoding="latin-1").turns[0].text == "déjà vu"
    with pytest.raises(BadInputError, match="not utf-8 text"):
        parse_transcript(path, encoding="utf-8")
    code, output = _run(study, str(FIXTURES / "macroman.txt"), "--encoding", "mac_roman")
    assert code == 0, output
    with study.open_store() as store:
        assert "écht gut für Lo-Fi" in database_text(store)
    code, output = _run(study, str(path), "--encoding", "klingon")
    assert code != 0 and "unknown encoding 'klingon'" in output


def test_title_block_and_timecodes_on_their_own_line() -> None:
    turns = parse_transcript(FIXTURES / "titled.txt").turns
    assert [(t.speaker, t.start_s) for t in turns] == [
        ("Interviewer", 5.0),
        ("P07", 12.0),
        ("Interviewer", 100.0),
    ]
    assert turns[1].text == "Mostly bedroom stuff, then I tried LANDR in 2019."
    assert not any(":" in t.text[:9] for t in turns)  # no timecode left in the text


def test_youtube_sbv_captions_are_read_with_their_times() -> None:
    transcript = parse_transcript(FIXTURES / "youtube.sbv")
    assert transcript.format == "sbv"
    (turn,) = transcript.turns
    assert (turn.start_s, turn.end_s) == (1.2, 11.25)
    assert turn.text == (
        "hey everyone, welcome back to the channel today we run a trap beat through LANDR "
        "and then through Ozone 11 to compare"
    )


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("talk.ass", b"[Script Info]\nTitle: x\n", "Advanced SubStation Alpha"),
        ("talk.rtf", b"{\\rtf1\\ansi P: hello}", "an RTF document"),
        ("talk.pdf", b"%PDF-1.7\n", "a PDF document"),
        ("talk.ttml", b"<tt xmlns='http://www.w3.org/ns/ttml'>", "TTML captions"),
        ("captions", b"<?xml version='1.0'?><tt/>", "an XML file"),
        ("talk.bin", b"\x00\x01\x02P: hi", "a binary file"),
    ],
)
def test_formats_that_cannot_be_read_are_refused_by_name(
    tmp_path: Path, name: str, content: bytes, what: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=f"cannot read {re.escape(what)}"):
        parse_transcript(path)


# --- importing ----------------------------------------------------------------------------


def test_import_stores_one_private_document_per_turn(any_study: Study) -> None:
    code, output = _run(
        any_study, str(FIXTURES / "zoom.vtt"), "--participant", "P07", "--group", "professional"
    )
    assert code == 0, output
    with any_study.open_store() as store:
        turns = _turns(store)
        assert [t.speaker_role for t in turns] == [
            "interviewer",
            "participant",
            "interviewer",
            "participant",
        ]
        assert [(t.start_s, t.end_s) for t in turns][1] == (6.1, 16.0)
        participant = pseudonym("P07", any_study.key())
        assert {t.pseudonym for t in turns if t.speaker_role == "participant"} == {participant}
        assert turns[3].text.startswith("Once. Mail me at [email]")
        assert turns[2].text == f"Have you tried it yourself, {participant}?"
        with store.connect() as connection:
            group = connection.execute(
                sa.select(participants.c.user_group, participants.c.group_method).where(
                    participants.c.pseudonym == participant
                )
            ).one()
            evidence = connection.execute(
                sa.select(group_evidence.c.kind, group_evidence.c.quote)
            ).all()
            source = connection.execute(sa.select(sources)).one()
        assert tuple(group) == ("professional", "declared at import")
        assert sorted(evidence) == [
            ("experience", "I've been mixing for 12 years"),
            ("paid", "I master for a living"),
        ]
        assert source.platform == "transcript" and source.url is None
        text = database_text(store)
    for name in (*NAMES, "zoom.vtt", "dana.whitfield@example.org"):
        assert name not in text


def test_named_interviewer_and_speaker_names_masked(study: Study) -> None:
    code, output = _run(study, str(FIXTURES / "teams.vtt"), "--interviewer", "sam okafor")
    assert code == 0, output
    with study.open_store() as store:
        turns = _turns(store)
        assert [(t.speaker_role, t.pkind) for t in turns] == [
            ("interviewer", "interviewer"),
            ("participant", "interviewee"),
            ("interviewer", "interviewer"),
        ]
        riley = pseudonym("Riley Moss", study.key())
        assert turns[2].text == f"Close enough for what, {riley}?"
        with store.connect() as connection:
            (quote,) = connection.execute(sa.select(group_evidence.c.quote)).scalars()
        assert quote == "I'm just a hobbyist"
        text = database_text(store)
    assert not any(name in text for name in NAMES)


def test_reimport_is_unchanged_and_generic_labels_stay_within_their_interview(
    study: Study, tmp_path: Path
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("I: Hello?\nP: I'm a hobbyist.\n", encoding="utf-8")
    assert _run(study, str(FIXTURES / "plain.txt"), str(other))[0] == 0
    code, output = _run(study, str(FIXTURES / "plain.txt"), "--json")
    assert code == 0
    assert '"unchanged": 4' in output and '"new": 0' in output
    with study.open_store() as store, store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(documents)).scalar() == 6
        # "P" in two interviews is two people; so is "I".
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(participants)).scalar() == 4
        )


def test_participant_with_two_interviewees_is_refused_before_writing(study: Study) -> None:
    code, output = _run(
        study, str(FIXTURES / "plain.txt"), str(FIXTURES / "teams.vtt"), "--participant", "P1"
    )
    assert code == 2
    assert "teams.vtt" in output and "--interviewer" in output
    with study.open_store() as store, store.connect() as connection:
        # plain.txt was fine, but nothing is stored when one file of the command is refused
        assert connection.execute(sa.select(sa.func.count()).select_from(documents)).scalar() == 0


def test_a_bad_file_stops_the_import_before_anything_is_stored(study: Study) -> None:
    result = run_cli(
        "--study",
        str(study.root),
        "import",
        "transcript",
        str(FIXTURES / "zoom.vtt"),
        str(FIXTURES / "broken.vtt"),
    )
    assert result.code == 2
    assert result.stderr.strip() == (
        f"earwitness: error: {FIXTURES / 'broken.vtt'}, row 4: malformed cue timing "
        "'00:00:01.000 -> 00:00:03.000'"
    )
    with study.open_store() as store, store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(documents)).scalar() == 0


# --- person names in running text ---------------------------------------------------------

STUDENTS = ("Jenny", "Marcus", "Bell", "Priya", "Tom", "Okonkwo", "Aaliyah")


def test_names_spoken_in_a_turn_are_masked_and_tools_places_genres_stay(study: Study) -> None:
    code, output = _run(study, str(FIXTURES / "classroom.vtt"))
    assert code == 0, output
    with study.open_store() as store:
        text = " ".join(t.text for t in _turns(store))
        stored = database_text(store)
    assert text.startswith("OK everyone, settle down. [name], can you play")
    assert text.count("[name]") >= 5
    for kept in ("LANDR", "Ozone 11", "Berlin", "lo-fi hip hop", "eMastered", "Spotify"):
        assert kept in stored
    for name in STUDENTS:
        assert name not in stored, name


def test_names_stay_when_the_study_turns_masking_off(study: Study) -> None:
    study.settings["mask_person_names"] = False
    study.save_settings()
    code, output = _run(study, str(FIXTURES / "classroom.vtt"))
    assert code == 0, output
    with study.open_store() as store:
        stored = database_text(store)
    assert "Jenny" in stored and "[name]" not in stored
