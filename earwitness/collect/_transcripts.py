"""Interview transcripts: parse speaker turns and store one document per turn.

Formats read:

* plain text with ``Speaker: text`` turns (an optional ``[hh:mm:ss]`` before the label
  gives the turn's start), and Otter.ai text exports (``Name  0:03`` then the paragraph);
* WebVTT (W3C WebVTT, https://www.w3.org/TR/webvtt1/) as exported by Zoom
  (``Name: text`` cues), Microsoft Teams and Otter (``<v Name>`` voice spans);
* SubRip (SRT), ``hh:mm:ss,mmm --> hh:mm:ss,mmm`` cues with ``Name:`` or ``<v Name>``;
* DOCX (python-docx): paragraphs read as plain text, or a table of speaker and text.

Consecutive cues of one speaker are merged into one turn that keeps the first start and
the last end. Interviewer turns are marked (``speaker_role``) so analyses can leave them
out; the interviewer is recognised by label ("Interviewer", "Moderator", "Q", ...) or
named with ``interviewers``.

Storing a transcript pseudonymises every speaker, masks personal data in each turn
(and the speakers' own names where they are spoken), and records the file by its
sha256 only: file names often carry a participant's name, so they are not stored.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from earwitness.errors import BadInputError
from earwitness.privacy import Masker, pseudonym, study_name_masker
from earwitness.store.records import (
    DocumentRecord,
    ensure_participant,
    record_source,
    set_user_group,
    upsert_document,
)
from earwitness.store.schema import group_evidence

if TYPE_CHECKING:
    from earwitness.store import Store
    from earwitness.study import Study

__all__ = [
    "TRANSCRIPT_FORMATS",
    "Transcript",
    "TranscriptImport",
    "Turn",
    "import_transcript",
    "parse_transcript",
    "speaker_roles",
]

TRANSCRIPT_FORMATS = ("txt", "vtt", "srt", "sbv", "docx")
# Formats people try that earwitness cannot read: refused with what they are.
_UNREADABLE_SUFFIXES = {
    "ass": "Advanced SubStation Alpha subtitles",
    "ssa": "SubStation Alpha subtitles",
    "sub": "MicroDVD/SubViewer subtitles",
    "ttml": "TTML captions",
    "dfxp": "DFXP/TTML captions",
    "scc": "Scenarist closed captions",
    "stl": "EBU STL subtitles",
    "sami": "SAMI captions",
    "smi": "SAMI captions",
    "lrc": "LRC lyrics",
    "pdf": "a PDF document",
    "rtf": "an RTF document",
    "doc": "a Word 97-2003 document",
    "odt": "an OpenDocument text",
    "pages": "an Apple Pages document",
    "json": "a JSON file",
    "xml": "an XML file",
    "html": "an HTML page",
    "htm": "an HTML page",
    "csv": "a CSV table",
    "xlsx": "an Excel workbook",
}
_UNREADABLE_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0", "a Word 97-2003 document"),
    (b"[Script Info]", "Advanced SubStation Alpha subtitles"),
    (b"<?xml", "an XML file (TTML/DFXP captions?)"),
    (b"<tt ", "TTML captions"),
    (b"<SAMI", "SAMI captions"),
)
PLATFORM = "transcript"
UNLABELLED = "Speaker"  # generic: pseudonymised within its interview only
GROUP_METHOD = "declared at import"

_INTERVIEWER_LABELS = re.compile(
    r"^(?:interviewer|interviewer\s*\d+|int|i|q|iv|moderator|facilitator|researcher|host|"
    r"question)$",
    re.IGNORECASE,
)
_GENERIC_LABEL = re.compile(
    r"^(?:speaker|participant|interviewee|respondent|interviewer|unknown|id|p|r|s)\s*\d*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One speaker turn: who spoke, what they said, and when (seconds from the start)."""

    speaker: str
    text: str
    start_s: float | None = None
    end_s: float | None = None
    line: int | None = None


@dataclass
class Transcript:
    """The turns of one transcript file, in order."""

    format: str
    turns: list[Turn]
    sha256: str
    name: str = ""

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(turn.speaker for turn in self.turns))


# --- reading files --------------------------------------------------------------------------


def parse_transcript(
    path: Path,
    *,
    format: str | None = None,
    speaker: str | None = None,
    encoding: str | None = None,
) -> Transcript:
    """Read a transcript file; ``format`` is one of TRANSCRIPT_FORMATS, else guessed.

    Text that no label attributes (caption files without speakers, cues before the first
    label) is the turn of ``speaker``, by default the generic label "Speaker".
    ``encoding`` names the text's encoding; without it UTF-8 and UTF-16 (with a BOM) are
    read, and a file that is not UTF-8 is read as Windows-1252 or Mac Roman, whichever
    gives the more plausible text.
    """
    unlabelled = (speaker or "").strip() or UNLABELLED
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read the file: {exc.strerror}", file=path) from None
    chosen = format or _guess_format(path, data)
    if chosen not in TRANSCRIPT_FORMATS:
        raise BadInputError(
            f"unknown transcript format {chosen!r}; use one of {', '.join(TRANSCRIPT_FORMATS)}",
            file=path,
        )
    if chosen == "docx":
        turns = _parse_docx(path, unlabelled)
    else:
        text = _decode(data, path, encoding)
        parser = {
            "vtt": _parse_vtt,
            "srt": _parse_srt,
            "sbv": _parse_sbv,
            "txt": _parse_text,
        }[chosen]
        turns = parser(text, path, unlabelled)
    if not turns:
        raise BadInputError("no text found in the transcript", file=path)
    return Transcript(chosen, turns, hashlib.sha256(data).hexdigest(), path.name)


def _guess_format(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in TRANSCRIPT_FORMATS:
        return suffix
    head = data[:200].lstrip(b"\xef\xbb\xbf").lstrip()
    what = _UNREADABLE_SUFFIXES.get(suffix) or next(
        (name for magic, name in _UNREADABLE_MAGIC if head.startswith(magic)), None
    )
    if what is None and b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = "a binary file"
    if what is not None:
        raise BadInputError(
            f"cannot read {what}; save the transcript as plain text, WebVTT, SRT, SBV or DOCX",
            file=path,
        )
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"WEBVTT"):
        return "vtt"
    if re.match(rb"\d+\s*\r?\n\d{1,2}:\d{2}:\d{2},\d{3}\s*-->", head):
        return "srt"
    if _SBV_TIMING.match(head.decode("latin-1").split("\n", 1)[0]):
        return "sbv"
    return "txt"


def _decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise BadInputError(f"unknown encoding {encoding!r} (--encoding)", file=path) from None
        except UnicodeDecodeError as exc:
            raise BadInputError(
                f"not {encoding} text (byte {exc.start}); name the file's encoding with --encoding",
                file=path,
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _legacy_text(data)


# Characters that real Western European text holds beyond ASCII. A Mac Roman file read as
# Windows-1252 turns its accents and quotes into others ("Ž", "Ò", "Õ"), and the reverse
# the same; the decoding with more of these and fewer of the others wins (ties: 1252).
_PLAUSIBLE = frozenset("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœßÀÁÂÄÅÆÇÈÉÊËÍÎÑÓÔÖØÚÜ’‘“”–—…«»€£°·")


def _legacy_text(data: bytes) -> str:
    """Text in a legacy single-byte encoding: Windows-1252 or Mac Roman, the more plausible."""
    candidates = []
    for encoding in ("cp1252", "mac_roman"):
        text = data.decode(encoding, errors="replace")
        odd = [ch for ch in text if ord(ch) > 127]
        score = sum(ch in _PLAUSIBLE for ch in odd) - sum(ch not in _PLAUSIBLE for ch in odd)
        candidates.append((score, encoding == "cp1252", text))
    return max(candidates)[2]


# --- cue formats: WebVTT and SRT ------------------------------------------------------------

_TIMESTAMP = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>", re.IGNORECASE)
_TAG = re.compile(r"</?[^>]+>")
_LABEL = re.compile(r"^\s*(?:-\s*)?([^\s:][^:\n]{0,39}?)\s*:\s+(?=\S)")
_BRACKET_LABEL = re.compile(r"^\s*\[([^\]\n]{1,40})\]\s*(?=\S)")
# Bracketed annotations of transcription conventions and caption tools (Whisper writes
# [BLANK_AUDIO], YouTube [Music], Otter and Rev [inaudible], [crosstalk]): never speakers.
_ANNOTATIONS = frozenset(
    [
        "applause",
        "background",
        "blank_audio",
        "break",
        "chuckles",
        "chuckling",
        "clears",
        "coughs",
        "coughing",
        "crosstalk",
        "cross-talk",
        "foreign",
        "indistinct",
        "inaudible",
        "interruption",
        "interposing",
        "laughs",
        "laughter",
        "laughing",
        "music",
        "noise",
        "overlapping",
        "pause",
        "paused",
        "phone",
        "ringing",
        "sighs",
        "silence",
        "unclear",
        "unintelligible",
        "video",
        "audio",
        "recording",
        "redacted",
        "name",
    ]
)


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction.ljust(3, "0")) / 1000
    )


@dataclass
class _Cue:
    start_s: float
    end_s: float
    lines: list[str] = field(default_factory=list)
    line: int = 0


def _cues(text: str, path: Path, *, vtt: bool) -> list[_Cue]:
    cues: list[_Cue] = []
    current: _Cue | None = None
    skipping = False
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            current, skipping = None, False
            continue
        if skipping:
            continue
        timing = _TIMING.match(line)
        if timing:
            values = timing.groups()
            start, end = _seconds(*values[:4]), _seconds(*values[4:])
            if end < start:
                raise BadInputError(
                    f"cue ends ({end:.3f} s) before it starts ({start:.3f} s)",
                    file=path,
                    row=number,
                )
            current = _Cue(start, end, line=number)
            cues.append(current)
            continue
        if current is None:
            if vtt and (number == 1 or line.startswith(("NOTE", "STYLE", "REGION"))):
                skipping = number != 1
                if number == 1 and not line.lstrip("\ufeff").startswith("WEBVTT"):
                    raise BadInputError("a WebVTT file must begin with WEBVTT", file=path, row=1)
                continue
            if "-->" in line or re.match(rf"^\s*{_TIMESTAMP}\s*-", line):
                raise BadInputError(f"malformed cue timing {line.strip()!r}", file=path, row=number)
            continue  # a cue identifier or SRT counter
        current.lines.append(line)
    return cues


def _cue_text(lines: list[str]) -> str:
    return html.unescape(_TAG.sub("", "\n".join(lines))).strip()


def _cue_speaker(lines: list[str], repeated: frozenset[str]) -> tuple[str | None, str]:
    """The speaker a cue names (voice span, ``Name:`` or ``[Name]``) and its plain text."""
    speaker = None
    voice = _VOICE.search("\n".join(lines))
    if voice:
        speaker = voice.group(1).strip()
    text = _cue_text(lines)
    if speaker is None:
        label = _LABEL.match(text)
        bracket = _BRACKET_LABEL.match(text)
        if label and _looks_like_speaker(label.group(1)):
            speaker, text = label.group(1).strip(), text[label.end() :]
        elif bracket and _is_bracket_speaker(bracket.group(1), repeated):
            speaker, text = bracket.group(1).strip(), text[bracket.end() :]
    return speaker, " ".join(part.strip() for part in text.split("\n") if part.strip())


def _repeated_brackets(texts: Iterable[str]) -> frozenset[str]:
    """Bracketed labels that begin at least two cues or lines: a name in brackets
    (``[Jane]``) is a speaker only when it recurs, a one-off ``[Door slams]`` is not."""
    counts: dict[str, int] = {}
    for text in texts:
        bracket = _BRACKET_LABEL.match(_LINE_TIME.sub("", text.strip(), count=1))
        if bracket:
            label = bracket.group(1).strip()
            counts[label] = counts.get(label, 0) + 1
    return frozenset(label for label, count in counts.items() if count >= 2)


def _is_bracket_speaker(label: str, repeated: frozenset[str] = frozenset()) -> bool:
    """``[id1]``, ``[P2]``, ``[Interviewer]`` or a recurring ``[Jane]`` name a speaker;
    ``[laughs]``, ``[Inaudible]``, ``[MUSIC]``, ``[00:01:02]`` or a one-off
    ``[Door slams]`` do not."""
    label = label.strip()
    words = re.findall(r"[^\W\d_]+", label.casefold())
    if not label or _LINE_TIME.match(label + " ") or any(w in _ANNOTATIONS for w in words):
        return False
    if _GENERIC_LABEL.match(label) or _INTERVIEWER_LABELS.match(label):
        return True
    if re.fullmatch(r"[A-Za-z]{1,12}[ _-]?\d{1,4}", label):  # id1, P2, Speaker_3
        return True
    return (
        label in repeated
        and len(label.split()) <= 4
        and label[0].isupper()
        and not label.isupper()
        and _looks_like_speaker(label)
    )


def _merge_cues(cues: list[_Cue], unlabelled: str) -> list[Turn]:
    turns: list[Turn] = []
    repeated = _repeated_brackets(_cue_text(cue.lines) for cue in cues)
    for cue in cues:
        speaker, text = _cue_speaker(cue.lines, repeated)
        if not text:
            continue
        if speaker is None:
            speaker = turns[-1].speaker if turns else unlabelled
        if turns and turns[-1].speaker == speaker:
            last = turns[-1]
            turns[-1] = Turn(speaker, f"{last.text} {text}", last.start_s, cue.end_s, last.line)
        else:
            turns.append(Turn(speaker, text, cue.start_s, cue.end_s, cue.line))
    return turns


def _parse_vtt(text: str, path: Path, unlabelled: str = UNLABELLED) -> list[Turn]:
    return _merge_cues(_cues(text, path, vtt=True), unlabelled)


def _parse_srt(text: str, path: Path, unlabelled: str = UNLABELLED) -> list[Turn]:
    return _merge_cues(_cues(text, path, vtt=False), unlabelled)


# YouTube's SubViewer-style captions (.sbv): "0:00:01.200,0:00:04.500", then the text;
# YouTube's ">>" speaker-change marks are dropped (no name follows them); "Name: " labels.
_SBV_TIMING = re.compile(
    r"^\s*(\d+):(\d{1,2}):(\d{2})\.(\d{1,3})\s*,\s*(\d+):(\d{1,2}):(\d{2})\.(\d{1,3})\s*$"
)


def _parse_sbv(text: str, path: Path, unlabelled: str = UNLABELLED) -> list[Turn]:
    cues: list[_Cue] = []
    current: _Cue | None = None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        timing = _SBV_TIMING.match(line)
        if timing:
            values = timing.groups()
            current = _Cue(_seconds(*values[:4]), _seconds(*values[4:]), line=number)
            cues.append(current)
        elif not line:
            current = None
        elif current is None:
            raise BadInputError(
                f"text outside a caption (expected a timing such as 0:00:01.200,0:00:04.500): "
                f"{line[:40]!r}",
                file=path,
                row=number,
            )
        else:
            current.lines.append(line.removeprefix(">> ").removeprefix(">>").strip())
    return _merge_cues([cue for cue in cues if cue.lines], unlabelled)


# --- plain text, Otter text and DOCX --------------------------------------------------------

_LINE_TIME = re.compile(r"^\s*[\[(]?((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?\s+")
_OTTER_HEADER = re.compile(r"^(\S[^:\n]{0,39}?)\s+((?:\d+:)?\d{1,2}:\d{2})\s*$")


def _clock(value: str) -> float:
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _looks_like_speaker(label: str) -> bool:
    """A speaker label: a name or role of at most five words, not a URL or a sentence."""
    label = label.strip()
    words = label.split()
    if not words or len(words) > 5 or "//" in label or label.endswith((".", ",")):
        return False
    return bool(re.match(r"^[\w\"'(\[]", label)) and not label.lower().startswith(("http", "www"))


def _parse_text(
    text: str, path: Path, unlabelled: str = UNLABELLED, *, header: int = 0
) -> list[Turn]:
    """Plain text or an Otter/Teams export; ``header``: how many leading lines may be a
    document header (a DOCX's title, date and duration) before the first turn."""
    lines = _timecode_lines(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    first = _first_heading(lines, header)
    if first is not None:
        return _parse_otter(lines, path, first)
    repeated = _repeated_brackets(lines)
    labelled = [
        _line_label(_LINE_TIME.sub("", line.strip(), count=1), repeated) is not None
        for line in lines
    ]
    if not any(labelled):
        return _with_ends(_parse_labelled_lines(lines, path, unlabelled, repeated))
    first_label = labelled.index(True)
    preamble = [line for line in lines[:first_label] if line.strip()]
    if preamble and len(preamble) <= header:
        lines = [""] * first_label + lines[first_label:]
    return _with_ends(_parse_labelled_lines(lines, path, None, repeated))


_TIMECODE_LINE = re.compile(r"^\s*[\[(]?((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?\s*$")
_TITLE_BLOCK_LINES = 15


def _timecode_lines(lines: list[str]) -> list[str]:
    """A timecode alone on its line ("00:01:05", "[00:01:05]") times the turn below it:
    the two become one "[00:01:05] Speaker: text" line. The lines above the first such
    timecode (at most 15: a title, date, place, the people present) are the transcript's
    title block, not turns. Line numbers stay as in the file."""
    stamps = [i for i, line in enumerate(lines) if _TIMECODE_LINE.match(line)]
    if not stamps:
        return lines
    out = list(lines)
    if sum(1 for line in lines[: stamps[0]] if line.strip()) <= _TITLE_BLOCK_LINES:
        out[: stamps[0]] = [""] * stamps[0]
    for index in stamps:
        below = next((j for j in range(index + 1, len(out)) if out[j].strip()), None)
        stamp = _TIMECODE_LINE.match(out[index])
        out[index] = ""
        if below is not None and stamp is not None and not _TIMECODE_LINE.match(out[below]):
            out[below] = f"[{stamp.group(1)}] {out[below].strip()}"
    return out


def _first_heading(lines: Sequence[str], header: int) -> int | None:
    """The index of the first Otter/Teams speaker heading (``Name   0:03``), if the
    file is in that layout: at most ``header`` text lines before it."""
    seen = 0
    for index, line in enumerate(lines[: header + 5]):
        stripped = line.strip()
        if _OTTER_HEADER.match(stripped):
            return index if seen <= header else None
        if stripped and not _TRANSCRIPTION_NOTICE.match(stripped):
            seen += 1
    return None


def _line_label(line: str, repeated: frozenset[str] = frozenset()) -> tuple[str, int] | None:
    """The speaker a line begins with (``Name:`` or QualCoder's ``[id1]``) and where the
    text starts."""
    label = _LABEL.match(line)
    if label and _looks_like_speaker(label.group(1)):
        return label.group(1).strip(), label.end()
    bracket = _BRACKET_LABEL.match(line)
    if bracket and _is_bracket_speaker(bracket.group(1), repeated):
        return bracket.group(1).strip(), bracket.end()
    return None


def _parse_labelled_lines(
    lines: Sequence[str],
    path: Path,
    unlabelled: str | None = None,
    repeated: frozenset[str] = frozenset(),
) -> list[Turn]:
    turns: list[Turn] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        start_s = None
        stamp = _LINE_TIME.match(line)
        if stamp:
            start_s, line = _clock(stamp.group(1)), line[stamp.end() :]
        label = _line_label(line, repeated)
        if label is not None:
            turns.append(Turn(label[0], line[label[1] :].strip(), start_s, None, number))
        elif turns:
            last = turns[-1]
            turns[-1] = Turn(last.speaker, f"{last.text}\n{line}", last.start_s, None, last.line)
        elif unlabelled is not None:
            turns.append(Turn(unlabelled, line, start_s, None, number))
        else:
            raise BadInputError(
                f"text before the first `Speaker: text` turn: {line[:40]!r}", file=path, row=number
            )
    return turns


_TRANSCRIPTION_NOTICE = re.compile(r"^\S.{0,60}?\s+(?:started|stopped) transcription$", re.I)


def _parse_otter(lines: Sequence[str], path: Path, first: int = 0) -> list[Turn]:
    turns: list[Turn] = []
    speaker: str | None = None
    start_s: float | None = None
    paragraph: list[str] = []
    first_line = 0

    def flush() -> None:
        if speaker is not None and paragraph:
            turns.append(Turn(speaker, "\n".join(paragraph), start_s, None, first_line))

    for number, raw in enumerate(lines[first:], start=first + 1):
        if _TRANSCRIPTION_NOTICE.match(raw.strip()):
            continue  # Teams: "Jane Doe   started transcription"
        header = _OTTER_HEADER.match(raw.strip())
        if header:
            flush()
            speaker, start_s, paragraph, first_line = (
                header.group(1).strip(),
                _clock(header.group(2)),
                [],
                number,
            )
        elif raw.strip():
            if speaker is None:
                raise BadInputError("text before the first speaker heading", file=path, row=number)
            paragraph.append(raw.strip())
    flush()
    return _with_ends(turns)


def _with_ends(turns: list[Turn]) -> list[Turn]:
    """A timed turn ends where the next timed turn starts (the last one stays open)."""
    result = []
    for index, turn in enumerate(turns):
        following = turns[index + 1].start_s if index + 1 < len(turns) else None
        end_s = following if turn.start_s is not None and following is not None else None
        result.append(Turn(turn.speaker, turn.text, turn.start_s, end_s, turn.line))
    return result


_DOCX_HEADER_LINES = 6  # Teams: title, date and time, duration, "started transcription"


def _parse_docx(path: Path, unlabelled: str = UNLABELLED) -> list[Turn]:
    try:
        import docx
    except ModuleNotFoundError:  # pragma: no cover - python-docx is a collect dependency
        raise BadInputError(
            "reading DOCX needs python-docx: pip install python-docx", file=path
        ) from None
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise BadInputError(f"not a readable DOCX file ({exc})", file=path) from None
    lines = [paragraph.text for paragraph in document.paragraphs]
    if any(_line_label(line.strip()) or _OTTER_HEADER.match(line.strip()) for line in lines):
        return _parse_text("\n".join(lines), path, unlabelled, header=_DOCX_HEADER_LINES)
    rows: list[str] = []
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            cells = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
            if len(cells) == 3 and _LINE_TIME.match(cells[0] + " "):
                rows.append(f"[{cells[0]}] {cells[1]}: {cells[2]}")
            elif len(cells) == 2 and _looks_like_speaker(cells[0]):
                rows.append(f"{cells[0]}: {cells[1]}")
    if rows:
        return _with_ends(_parse_labelled_lines(rows, path))
    return _parse_text("\n".join(lines), path, unlabelled)


# --- storing ---------------------------------------------------------------------------------


@dataclass
class TranscriptImport:
    """What importing one transcript did."""

    file: str
    format: str
    turns: int = 0
    interviewer_turns: int = 0
    speakers: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    evidence: int = 0

    def as_row(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _is_interviewer(speaker: str, interviewers: Sequence[str]) -> bool:
    named = {name.strip().casefold() for name in interviewers}
    return speaker.strip().casefold() in named or bool(_INTERVIEWER_LABELS.match(speaker.strip()))


_HONORIFICS = frozenset(
    [
        "dr",
        "doctor",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "revd",
        "fr",
        "sr",
        "jr",
        "herr",
        "frau",
        "mme",
        "mlle",
        "dott",
        "sig",
        "sra",
    ]
)


def _name_parts(speaker: str) -> list[str]:
    """The words of a speaker's name that identify them: honorifics and initials left out."""
    words = [w.strip(".,") for w in speaker.split()]
    return [w for w in words if len(w) >= 2 and w.casefold() not in _HONORIFICS and w[0].isalpha()]


@dataclass(frozen=True)
class _NameMasker:
    """Replaces the speakers' names where they are spoken with their pseudonyms.

    The full label ("Dr. Melissa Ko"), the name without its honorific ("Melissa Ko") and
    every part of it alone ("Melissa", "Ko") are replaced, as written (capitalised);
    generic labels ("Speaker 1", "Interviewer") are left alone.
    """

    names: dict[str, str]

    @classmethod
    def for_speakers(cls, pseudonyms: dict[str, str]) -> _NameMasker:
        names: dict[str, str] = {}
        parts: dict[str, str] = {}
        for speaker, alias in pseudonyms.items():
            if _GENERIC_LABEL.match(speaker) or _INTERVIEWER_LABELS.match(speaker):
                continue
            names[speaker] = alias
            words = _name_parts(speaker)
            if words:
                names.setdefault(" ".join(words), alias)
            for word in words:
                parts.setdefault(word, alias)
        return cls({**parts, **names})

    def mask(self, text: str) -> str:
        if not self.names:
            return text
        alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        return pattern.sub(lambda match: self.names[match.group(0)], text)


def speaker_roles(
    transcript: Transcript,
    *,
    participant: str | None = None,
    group: str | None = None,
    interviewers: Sequence[str] = (),
) -> dict[str, str]:
    """Each speaker's role, "interviewer" or "participant"; refuse what cannot be stored."""
    roles = {
        s: "interviewer" if _is_interviewer(s, interviewers) else "participant"
        for s in transcript.speakers
    }
    interviewees = [s for s, role in roles.items() if role == "participant"]
    if participant is not None and len(interviewees) > 1:
        raise BadInputError(
            f"--participant names one interviewee, but {len(interviewees)} speakers are not "
            "marked as interviewer; name the interviewer(s) with --interviewer",
            file=transcript.name,
        )
    if group is not None and not interviewees:
        raise BadInputError(
            "--group given but every speaker is an interviewer", file=transcript.name
        )
    return roles


def import_transcript(
    study: Study,
    store: Store,
    transcript: Transcript,
    *,
    participant: str | None = None,
    group: str | None = None,
    interviewers: Sequence[str] = (),
) -> TranscriptImport:
    """Store one transcript: one document per turn, in ONE transaction.

    ``participant`` is the study's identifier of the interviewee: every turn that is not
    the interviewer's is attributed to its pseudonym. ``group`` declares that
    participant's user group ("declared at import").
    """
    key = study.key()
    mask = Masker(key).mask
    roles = speaker_roles(
        transcript, participant=participant, group=group, interviewers=interviewers
    )
    interviewees = [s for s, role in roles.items() if role == "participant"]
    interview_id = f"interview:{transcript.sha256[:16]}"
    handles = {s: _handle(s, roles[s], participant, interview_id) for s in roles}
    pseudonyms = {s: pseudonym(handles[s], key) for s in roles}
    names = _NameMasker.for_speakers(pseudonyms)
    texts = study_name_masker(study, store).mask_many(
        names.mask(mask(turn.text)) for turn in transcript.turns
    )
    outcome = TranscriptImport(file=transcript.name, format=transcript.format, speakers=len(roles))
    with store.transaction() as connection:
        source_id = record_source(
            connection,
            PLATFORM,
            native_id=transcript.sha256,
            content_sha256=transcript.sha256,
            extra={"format": transcript.format, "turns": len(transcript.turns)},
        )
        participant_ids = {
            s: ensure_participant(
                connection,
                pseudonyms[s],
                kind="interviewer" if roles[s] == "interviewer" else "interviewee",
            )
            for s in roles
        }
        if group is not None:
            for speaker in interviewees:
                set_user_group(connection, participant_ids[speaker], group, method=GROUP_METHOD)
        for index, (turn, text) in enumerate(zip(transcript.turns, texts, strict=True)):
            role = roles[turn.speaker]
            record = DocumentRecord(
                platform=PLATFORM,
                native_id=f"{interview_id}:{index:05d}",
                text=text,
                kind="turn",
                thread_native_id=interview_id,
                participant_id=participant_ids[turn.speaker],
                source_id=source_id,
                speaker_role=role,
                start_s=turn.start_s,
                end_s=turn.end_s,
                extra={"turn": index, "format": transcript.format},
            )
            document_id, result = upsert_document(connection, record)
            if result in ("new", "updated", "unchanged"):
                setattr(outcome, result, getattr(outcome, result) + 1)
            outcome.turns += 1
            if role == "interviewer":
                outcome.interviewer_turns += 1
                continue
            outcome.evidence += _store_evidence(
                store, connection, participant_ids[turn.speaker], document_id, text
            )
    return outcome


def _handle(speaker: str, role: str, participant: str | None, interview_id: str) -> str:
    """Who a speaker is across the study: the declared participant id, a name, or a
    generic label ("P", "Speaker 2") that only means something within its interview."""
    if participant and role == "participant":
        return participant
    if _GENERIC_LABEL.match(speaker) or _INTERVIEWER_LABELS.match(speaker):
        return f"{speaker}#{interview_id}"
    return speaker


def _store_evidence(
    store: Store, connection: Connection, participant_id: int, document_id: int, text: str
) -> int:
    from earwitness.groups import EVIDENCE_KEY, evidence_rows

    rows = evidence_rows(participant_id, document_id, text)
    store.upsert(connection, group_evidence, rows, key=EVIDENCE_KEY)
    return len(rows)
