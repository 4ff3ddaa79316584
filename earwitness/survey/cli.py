"""Commands of ``earwitness survey`` and ``earwitness import survey``."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options
from earwitness.files import write_text_atomic

__all__ = ["import_survey", "survey"]

_FORMAT_CHOICE = click.Choice(["auto", "msforms", "gforms", "qualtrics", "limesurvey"])


@click.group()
def survey() -> None:
    """Analyse questionnaires by user group."""


@click.command("survey")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=_FORMAT_CHOICE,
    default="auto",
    show_default=True,
    help="Survey tool that wrote FILE.",
)
@click.option(
    "--instrument",
    "instrument_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Instrument YAML (items, scales, group rule). Default: drafted from FILE.",
)
@click.option(
    "--encoding",
    help="Text encoding of a CSV that is neither UTF-8 nor UTF-16 with a BOM, e.g. cp1252.",
)
@click.option(
    "--keep-previews",
    is_flag=True,
    help="Import Qualtrics 'Survey Preview' and 'Survey Test' responses too (left out and "
    "counted by default).",
)
@click.option("--json", "as_json", is_flag=True, help="Emit the import summary as JSON.")
@pass_env
def import_survey(
    env: CliEnv,
    file: Path,
    fmt: str,
    instrument_path: Path | None,
    encoding: str | None,
    keep_previews: bool,
    as_json: bool,
) -> None:
    """Import a questionnaire export.

    FILE is read; it is not copied into the study.
    """
    from earwitness.privacy import study_name_masker
    from earwitness.survey._import import import_file
    from earwitness.survey._instrument import load_instrument

    instrument = load_instrument(instrument_path) if instrument_path else None
    with env.store() as store:
        result = import_file(
            store,
            file,
            env.study.key(),
            format=fmt,
            instrument=instrument,
            encoding=encoding,
            keep_previews=keep_previews,
            names=study_name_masker(env.study, store),
        )
    if as_json:
        emit(vars(result), as_json=True)
        return
    click.echo(
        f"Imported {result.n_respondents} respondents ({result.n_responses} answers, "
        f"{result.n_documents} free-text documents) from {result.file_name} "
        f"[{result.format}] with instrument {result.instrument!r}."
    )
    if result.groups:
        click.echo("  groups: " + ", ".join(f"{g} {n}" for g, n in sorted(result.groups.items())))
    if result.replaced_respondents:
        click.echo(f"  replaced earlier answers of {result.replaced_respondents} respondents")
    if result.excluded_responses:
        left = ", ".join(f"{n} {why}" for why, n in result.excluded_responses.items())
        click.echo(f"  left out responses: {left} (--keep-previews imports them)")
    if result.dropped_columns:
        click.echo(
            "  left out personal columns: "
            + ", ".join(f"{code} ({what})" for code, what in result.dropped_columns.items())
        )
    if result.unused_columns:
        click.echo(
            f"  {len(result.unused_columns)} answer columns are not in the instrument and "
            "were not imported"
        )


@survey.command("instrument", short_help="Draft an instrument YAML from an export.")
@click.option(
    "--infer",
    "infer_from",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Export to draft the instrument from.",
)
@click.option("--format", "fmt", type=_FORMAT_CHOICE, default="auto", show_default=True)
@click.option("--encoding", help="Text encoding of a CSV (default: UTF-8 or UTF-16 with BOM).")
@click.option("--name", help="Instrument name (default: the file's name).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
def instrument_command(
    infer_from: Path, fmt: str, encoding: str | None, name: str | None, out: Path | None
) -> None:
    """Draft an instrument YAML from an export, to check and complete by hand."""
    from earwitness.survey._infer import draft_yaml, infer_instrument
    from earwitness.survey._readers import read_export

    export = read_export(infer_from, format=fmt, encoding=encoding)
    text = draft_yaml(infer_instrument(export, name=name), export)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out, text)
        click.echo(f"Wrote a draft instrument to {out}", err=True)


@survey.command("report", short_help="Compare every item across user groups.")
@click.option(
    "--by",
    default="group",
    show_default=True,
    help="Compare by user group, or by the answers of a single-choice item (its code).",
)
@click.option("--instrument", "instrument_name", help="Instrument name (default: the only one).")
@click.option(
    "--covariate",
    "covariates",
    multiple=True,
    metavar="ITEM",
    help="Numeric or single-choice item to adjust for in ordinal regressions (repeatable).",
)
@click.option("--ordinal", is_flag=True, help="Fit ordinal logistic regressions of Likert items.")
@click.option("--seed", default=20240601, show_default=True, help="Seed for permutation tests.")
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a standalone HTML report with plots to FILE.",
)
@report_options
@pass_env
def report_command(
    env: CliEnv,
    by: str,
    instrument_name: str | None,
    covariates: tuple[str, ...],
    ordinal: bool,
    seed: int,
    html_out: Path | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Compare every item across user groups: distributions, tests and effect sizes."""
    from earwitness.survey._report import build_report, load_responses

    with env.store() as store, store.connect() as connection:
        data = load_responses(connection, instrument_name)
    report = build_report(
        data, by=by, covariates=covariates, ordinal=ordinal or bool(covariates), seed=seed
    )
    if html_out is not None:
        from earwitness.survey._plots import write_html_report

        write_html_report(report, html_out)
        click.echo(f"Wrote the HTML report to {html_out}", err=True)
        if not (as_json or as_csv or out):
            return
    if as_json:
        emit(report.to_dict(), as_json=True, out=out)
    else:
        frame = report.results_frame() if as_csv or out else report.summary_frame()
        emit(frame, as_csv=as_csv, out=out, title=report.title)
        if not as_csv and out is None:
            click.echo("p: Holm-adjusted for pairwise tests; --csv or --json for all columns.")
            for warning in report.warnings:
                click.echo(f"warning: {warning}", err=True)
