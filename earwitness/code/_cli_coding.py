"""Commands of the human side of coding: codebook, segments, codings, agreement, reports."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from earwitness.clikit import (
    CliEnv,
    emit,
    partition_size_option,
    pass_env,
    report_options,
    scheduler_option,
)
from earwitness.errors import BadInputError
from earwitness.files import write_text_atomic

__all__ = ["register"]

_YAML = (".yaml", ".yml")


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness code``."""
    group.add_command(codebook)
    group.add_command(segment)
    group.add_command(apply)
    group.add_command(remove)
    group.add_command(import_codings)
    group.add_command(retrieve)
    group.add_command(agreement)
    group.add_command(report)


@click.group(short_help="Author, import and export the study's codebook.")
def codebook() -> None:
    """Author, import and export the study's codebook (YAML or REFI-QDA .qdc)."""


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (*_YAML, ".qdc"):
        raise BadInputError("a codebook file ends in .yaml, .yml or .qdc", file=path)
    return suffix


@codebook.command("import", short_help="Import the codes in FILE (YAML or REFI-QDA .qdc).")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_env
def codebook_import(env: CliEnv, file: Path) -> None:
    """Import the codes in FILE (.yaml/.yml or REFI-QDA .qdc); codes already there
    (same guid) are updated, none are deleted."""
    if _suffix(file) == ".qdc":
        from earwitness.code.refi import import_qdc_with_sets

        with env.store() as store:
            count, groups = import_qdc_with_sets(store, file)
        click.echo(f"Imported {count} codes and {groups} code groups (as sets) from {file}")
        return
    from earwitness.code._codebook import load_codebook_yaml, write_codebook

    book = load_codebook_yaml(file)
    with env.store() as store:
        result = write_codebook(store, book)
    click.echo(
        f"Imported {result.total} codes from {file}: {result.new} new, "
        f"{result.updated} updated, {result.unchanged} unchanged"
    )


@codebook.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_env
def codebook_export(env: CliEnv, file: Path) -> None:
    """Write the codebook to FILE (.yaml/.yml or REFI-QDA .qdc)."""
    if _suffix(file) == ".qdc":
        from earwitness.code.refi._exchange import export_qdc

        with env.store() as store:
            count = export_qdc(store, file)
        click.echo(f"Wrote {count} codes to {file}")
        return
    from earwitness.code._codebook import dump_codebook_yaml, read_codebook

    with env.store() as store, store.connect() as connection:
        book = read_codebook(connection)
    book.name = book.name or env.study.name
    write_text_atomic(file, dump_codebook_yaml(book))
    click.echo(f"Wrote {len(book)} codes to {file}")


@codebook.command("show", short_help="List the codebook's codes with level, guid and definition.")
@click.option("--json", "as_json", is_flag=True, help="Emit JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Emit CSV.")
@pass_env
def codebook_show(env: CliEnv, as_json: bool, as_csv: bool) -> None:
    """List the codes of the study's codebook with their level, guid and definition."""
    from earwitness.code._codebook import read_codebook

    with env.store() as store, store.connect() as connection:
        book = read_codebook(connection)
    rows = [
        {
            "path": "/".join(code.path),
            "level": code.level,
            "codable": code.codable,
            "guid": code.guid,
            "definition": code.definition,
        }
        for code in book
    ]
    emit(rows, as_json=as_json, as_csv=as_csv, title=f"Codebook ({len(rows)} codes)")


@codebook.command("starter", short_help="Import (or copy) the starter codebook on AI mastering.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Copy the starter codebook to FILE to adapt it, instead of importing it.",
)
@pass_env
def codebook_starter(env: CliEnv, out: Path | None) -> None:
    """Import the starter codebook on AI mixing and mastering adoption (or copy it with
    --out): a starting point to adapt, not a finished instrument."""
    from earwitness.code._codebook import load_codebook_yaml, write_codebook
    from earwitness.resources import starter_codebook_path

    source = starter_codebook_path()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out)
        click.echo(f"Copied the starter codebook to {out}; adapt it, then import it")
        return
    book = load_codebook_yaml(source)
    with env.store() as store:
        result = write_codebook(store, book)
    click.echo(
        f"Imported the starter codebook ({result.total} codes: {result.new} new, "
        f"{result.updated} updated); adapt it to your study"
    )


@click.command(short_help="Cut documents into turns, posts, paragraphs, sentences.")
@click.option(
    "--all",
    "redo",
    is_flag=True,
    help="Segment every document again (adds what is missing, removes segments a changed "
    "text no longer has). Default: only documents without segments.",
)
@click.option(
    "--short-post-chars",
    type=click.IntRange(min=1),
    default=280,
    show_default=True,
    help="A post this short (in characters) is one segment.",
)
@partition_size_option(2000)
@scheduler_option
@pass_env
def segment(
    env: CliEnv, redo: bool, short_post_chars: int, partition_size: int, scheduler: str | None
) -> None:
    """Cut documents into segments: transcript turns, short posts, paragraphs and sentences."""
    from earwitness.code._segment import segment_documents

    where = env.scheduler(scheduler)
    with env.store() as store:
        run = segment_documents(
            store,
            model=str(env.study.setting("spacy_model") or ""),
            redo=redo,
            short_post_chars=short_post_chars,
            scheduler=where,
            partition_documents=partition_size,
        )
    removed = f", removed {run.removed} stale" if run.removed else ""
    click.echo(
        f"Segmented {run.documents} documents with {run.pipeline}: "
        f"{run.added} new segments{removed}"
    )


def _span_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--end", type=click.IntRange(min=0), help="End of the span (exclusive)."
    )(function)
    function = click.option(
        "--start", type=click.IntRange(min=0), help="Start of the span (code points from 0)."
    )(function)
    function = click.option(
        "--document", metavar="DOC", help="Document id, guid or platform:native_id."
    )(function)
    function = click.option("--segment", type=int, metavar="ID", help="Segment id.")(function)
    function = click.option(
        "--coder",
        required=True,
        envvar="EARWITNESS_CODER",
        help="Name of the coder (default: $EARWITNESS_CODER).",
    )(function)
    return function


@click.command(short_help="Apply CODE to a segment or a span.")
@click.argument("code")
@_span_options
@click.option("--memo", help="A note on this coding.")
@pass_env
def apply(
    env: CliEnv,
    code: str,
    coder: str,
    segment: int | None,
    document: str | None,
    start: int | None,
    end: int | None,
    memo: str | None,
) -> None:
    """Apply CODE (path "Theme/Code", unique name or guid) to a segment or a span."""
    from earwitness.code._coding import apply_code

    with env.store() as store:
        coding_id, new = apply_code(
            store, code, coder=coder, segment=segment, document=document, start=start, end=end,
            memo=memo,
        )  # fmt: skip
    click.echo(f"{'Applied' if new else 'Already applied'}: coding {coding_id} by {coder}")


@click.command(short_help="Remove a coder's coding of CODE on a segment or span.")
@click.argument("code")
@_span_options
@pass_env
def remove(
    env: CliEnv,
    code: str,
    coder: str,
    segment: int | None,
    document: str | None,
    start: int | None,
    end: int | None,
) -> None:
    """Remove a coder's coding of CODE on a segment or an exact span."""
    from earwitness.code._coding import remove_code

    with env.store() as store:
        count = remove_code(
            store, code, coder=coder, segment=segment, document=document, start=start, end=end
        )
    click.echo(f"Removed {count} coding{'s' if count != 1 else ''} by {coder}")


@click.command("import-codings", short_help="Import codings from a CSV file.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--coder", help="Coder of every row (instead of a 'coder' column).")
@pass_env
def import_codings(env: CliEnv, file: Path, coder: str | None) -> None:
    """Import codings from a CSV file (document, code, coder, segment or start/end,
    memo, text), all rows or none."""
    from earwitness.code._coding import import_codings_csv

    with env.store() as store:
        result = import_codings_csv(store, file, coder=coder)
    click.echo(
        f"Imported {result.rows} codings from {file}: {result.new} new, "
        f"{result.existing} already there"
    )


@click.command(short_help="The coded segments of CODE, with text and user group.")
@click.argument("code")
@click.option("--children", is_flag=True, help="Include the codes below CODE.")
@click.option("--coder", help="Only this coder's codings.")
@report_options
@pass_env
def retrieve(
    env: CliEnv,
    code: str,
    children: bool,
    coder: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Retrieve the coded segments of CODE with their text, source, pseudonym and user
    group."""
    from earwitness.code._coding import retrieve_segments

    with env.store() as store, store.connect() as connection:
        rows = retrieve_segments(connection, code, include_children=children, coder=coder)
    if not (as_json or as_csv):
        columns = ("code", "document_id", "platform", "pseudonym", "user_group", "coder", "text")
        rows = [{key: row[key] for key in columns} for row in rows]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"{code}: {len(rows)} segments")


@click.command(short_help="Intercoder agreement per code or per document.")
@click.option("--coders", metavar="A,B", help="Coders to compare (default: every human coder).")
@click.option("--by", type=click.Choice(["code", "document"]), default="code", show_default=True)
@click.option(
    "--exclude-uncoded", is_flag=True, help="Leave out text that no compared coder coded."
)
@click.option(
    "--segments",
    "segment_matching",
    is_flag=True,
    help="Match coded segments MAXQDA-style instead of counting characters (two coders).",
)
@click.option(
    "--overlap",
    type=click.IntRange(1, 100),
    default=90,
    show_default=True,
    help="With --segments: minimum overlap (percent of the two segments' union).",
)
@report_options
@pass_env
def agreement(
    env: CliEnv,
    coders: str | None,
    by: str,
    exclude_uncoded: bool,
    segment_matching: bool,
    overlap: int,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Intercoder agreement per code or per document: units (characters), percent
    agreement, Cohen's kappa and Krippendorff's alpha; flags alpha below the study's
    agreement_threshold."""
    from earwitness.code.reliability import study_agreement

    names = [name.strip() for name in coders.split(",") if name.strip()] if coders else None
    if segment_matching and (names is None or len(names) != 2):
        raise BadInputError("--segments compares exactly two coders: give --coders A,B")
    threshold = float(env.study.setting("agreement_threshold"))
    with env.store() as store, store.connect() as connection:
        rows = study_agreement(
            connection,
            coders=names,
            by=by,  # type: ignore[arg-type]
            exclude_uncoded=exclude_uncoded,
            threshold=threshold,
            segments=segment_matching,
            overlap=overlap / 100,
        )
    if not rows:
        click.echo("No document was coded by every compared coder.")
        return
    if not (as_json or as_csv):
        rows = [_rounded(row) for row in rows]
    unit = "coded segments" if segment_matching else "characters"
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"Agreement by {by} (units: {unit})")


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ("n/a" if value != value else f"{value:.3f}") if isinstance(value, float) else value
        for key, value in row.items()
    }


@click.command(short_help="Reports on the coding (frequencies, functionalities).")
@click.argument(
    "kind",
    type=click.Choice(["frequencies", "functionalities", "cooccurrence", "matrix", "segments"]),
)
@click.option("--code", help="segments: the code (and the codes below it) to report.")
@click.option(
    "--by",
    type=click.Choice(["group", "source"]),
    default="group",
    show_default=True,
    help="frequencies: by user group or by source type.",
)
@click.option(
    "--unit",
    type=click.Choice(["document", "segment"]),
    default="document",
    show_default=True,
    help="cooccurrence: count documents, or segments (turns, posts, sentences).",
)
@click.option(
    "--theme",
    default="Requested functionality",
    show_default=True,
    help="functionalities: the theme whose codes are requested functions.",
)
@click.option("--coder", help="Only this coder's codings.")
@report_options
@pass_env
def report(
    env: CliEnv,
    kind: str,
    code: str | None,
    by: str,
    unit: str,
    theme: str,
    coder: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Reports on the coding: frequencies (by user group or source), functionalities
    (requested functions with one to five asterisks), cooccurrence, matrix (code x
    document) and segments (a code's segments by pseudonym)."""
    from earwitness.code._reports import code_report

    with env.store() as store, store.connect() as connection:
        table = code_report(connection, kind, code=code, by=by, unit=unit, theme=theme, coder=coder)
    emit(table, as_json=as_json, as_csv=as_csv, out=out, title=kind)
