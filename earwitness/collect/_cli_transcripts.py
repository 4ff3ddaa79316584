"""``earwitness import transcript``: interview transcripts, one document per speaker turn."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options
from earwitness.collect._transcripts import (
    TRANSCRIPT_FORMATS,
    Transcript,
    parse_transcript,
    speaker_roles,
)
from earwitness.collect._transcripts import (
    import_transcript as store_transcript,
)
from earwitness.groups import GROUPS

__all__ = ["import_transcript"]


@click.command("transcript")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--participant",
    metavar="ID",
    help="The study's identifier of the interviewee; their turns are stored under its "
    "pseudonym. Without it, each speaker label is pseudonymised.",
)
@click.option(
    "--group",
    type=click.Choice(GROUPS),
    help="Declare the interviewee's user group (recorded as 'declared at import').",
)
@click.option(
    "--interviewer",
    "interviewers",
    metavar="NAME",
    multiple=True,
    help="Speaker label of an interviewer (repeatable). Labels such as Interviewer, "
    "Moderator, Researcher, Host, I or Q are recognised without it.",
)
@click.option(
    "--speaker",
    metavar="NAME",
    help="Speaker of text no label attributes (caption files without speaker labels, "
    "such as Zoom's .cc.vtt). Default: the generic label 'Speaker'.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TRANSCRIPT_FORMATS),
    help="Read every FILE in this format. Default: from the file's extension and content.",
)
@click.option(
    "--encoding",
    metavar="NAME",
    help="Text encoding of every FILE (e.g. mac_roman, cp1252, latin-1). Default: UTF-8 or "
    "UTF-16 with a BOM, else Windows-1252 or Mac Roman, whichever reads more plausibly.",
)
@report_options
@pass_env
def import_transcript(
    env: CliEnv,
    files: tuple[Path, ...],
    participant: str | None,
    group: str | None,
    interviewers: tuple[str, ...],
    fmt: str | None,
    speaker: str | None,
    encoding: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Import interview transcripts.

    Plain text, WebVTT, SRT (Zoom, Teams, Otter, QualCoder), YouTube SBV or DOCX; any
    other format is refused, naming it. Each speaker turn becomes one document with its
    start and end time; interviewer turns are marked so analyses can leave them out.
    Every file is read and checked before anything is stored, and each file is stored in
    one transaction.
    """
    transcripts: list[Transcript] = [
        parse_transcript(path, format=fmt, speaker=speaker, encoding=encoding) for path in files
    ]
    for transcript in transcripts:
        speaker_roles(transcript, participant=participant, group=group, interviewers=interviewers)
    study = env.study
    rows = []
    with env.store() as store:
        for path, transcript in zip(files, transcripts, strict=True):
            result = store_transcript(
                study,
                store,
                transcript,
                participant=participant,
                group=group,
                interviewers=interviewers,
            )
            row = result.as_row()
            row["file"] = str(path)
            rows.append(row)
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Imported transcripts")
