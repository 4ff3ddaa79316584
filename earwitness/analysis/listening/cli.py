"""Commands of ``earwitness listen``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options
from earwitness.errors import BadInputError

__all__ = ["listen"]


@click.group()
def listen() -> None:
    """Blind, loudness-matched listening tests of song versions."""


def _split(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


@listen.command(short_help="Prepare a test's stimuli from song versions.")
@click.argument("test")
@click.option("--design", required=True, type=click.Choice(["mushra", "mushra-noref", "ab", "abx"]))
@click.option(
    "--reference", help="Reference version label (mushra default: audio_reference_version)."
)
@click.option(
    "--conditions", default="ai:*", show_default=True, help="Labels or globs, comma-separated."
)
@click.option("--songs", help="Songs, comma-separated (default: every song).")
@click.option("--excerpt-s", type=float, default=10.0, show_default=True, help="Excerpt length, s.")
@click.option("--start", type=float, help="Excerpt start in the reference, s (default: loudest).")
@click.option(
    "--fade-ms", type=float, default=20.0, show_default=True, help="Fade in/out, 10-50 ms."
)
@click.option("--headphone-check", is_flag=True, help="Add the antiphase headphone check.")
@click.option("--workers", type=int, help="Processes preparing songs (default: all cores).")
@report_options
@pass_env
def create(
    env: CliEnv,
    test: str,
    design: str,
    reference: str | None,
    conditions: str,
    songs: str | None,
    excerpt_s: float,
    start: float | None,
    fade_ms: float,
    headphone_check: bool,
    workers: int | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Prepare the stimuli of TEST from the study's registered song versions."""
    from earwitness.analysis.listening import create_test

    with env.store() as store:
        result = create_test(
            store,
            env.study,
            test,
            design,
            reference=reference,
            conditions=_split(conditions) or ["ai:*"],
            songs=_split(songs),
            excerpt_s=excerpt_s,
            start=start,
            fade_ms=fade_ms,
            headphone_check=headphone_check,
            workers=workers,
        )
    if not as_json:
        result = {
            **result,
            "conditions": ",".join(result["conditions"]),
            "songs": ",".join(result["songs"]),
        }
    emit(result, as_json=as_json, as_csv=as_csv, out=out, title="Listening test created")
    if result.get("warning"):
        click.echo(f"Warning: {result['warning']}", err=True)


@listen.command(name="list")
@report_options
@pass_env
def list_(env: CliEnv, as_json: bool, as_csv: bool, out: Path | None) -> None:
    """Show the study's listening tests."""
    from earwitness.analysis.listening import list_tests

    with env.store() as store:
        tests = list_tests(store)
    if not as_json:
        tests = [
            {**t, "conditions": ",".join(t["conditions"]), "songs": len(t["songs"])} for t in tests
        ]
    emit(tests, as_json=as_json, as_csv=as_csv, out=out, title="Listening tests")


@listen.command(short_help="Write a test's stimuli and manifest.")
@click.argument("test")
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False, path_type=Path))
@pass_env
def stimuli(env: CliEnv, test: str, folder: Path) -> None:
    """Write TEST's stimuli (named by song, role and version) and manifest.json to a folder."""
    from earwitness.analysis.listening._exchange import write_stimuli

    with env.store() as store:
        count = write_stimuli(store, env.study, test, folder)
    click.echo(f"Wrote {count} stimuli and manifest.json to {folder}", err=True)


@listen.command(short_help="Create sessions and print participant links.")
@click.argument("test")
@click.option("--n", "count", type=int, default=1, show_default=True, help="How many links.")
@click.option("--participant", help="Tie the session to this study participant (pseudonym).")
@click.option("--base-url", default="http://127.0.0.1:8600", show_default=True)
@report_options
@pass_env
def link(
    env: CliEnv,
    test: str,
    count: int,
    participant: str | None,
    base_url: str,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Create sessions of TEST and print their participant links (add ?crowd_id=ID for crowds)."""
    from earwitness.analysis.listening import new_session

    if count < 1:
        raise BadInputError("--n must be at least 1", field="--n")
    with env.store() as store:
        tokens = [
            new_session(store, env.study, test, participant=participant) for _ in range(count)
        ]
    rows = [{"link": f"{base_url.rstrip('/')}/s/{token}"} for token in tokens]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"Links for {test}")


@listen.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8600, show_default=True)
@pass_env
def serve(env: CliEnv, host: str, port: int) -> None:
    """Serve the listening-test page and API to participants."""
    from earwitness.analysis.listening._limits import ServerLimits
    from earwitness.analysis.listening._protocol import serve as run

    with env.store() as store:
        click.echo(f"Serving listening tests on http://{host}:{port}/s/TOKEN", err=True)
        run(store, env.study.root, host, port, ServerLimits.from_settings(env.study.setting))


@listen.command(short_help="Add simulated listeners' sessions (flagged).")
@click.argument("test")
@click.option("--n", "count", type=int, default=12, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--respondents",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="How many of the simulated sessions to tie to the study's survey respondents "
    "(for demos on simulated studies; every answer is still flagged simulated).",
)
@pass_env
def simulate(env: CliEnv, test: str, count: int, seed: int, respondents: int) -> None:
    """Add COUNT simulated listeners' complete sessions to TEST (flagged simulated)."""
    from earwitness.analysis.listening import simulate_listeners

    with env.store() as store:
        written = simulate_listeners(
            store, test, count, seed=seed, study=env.study, respondents=respondents
        )
    click.echo(f"Wrote {written} simulated answers from {count} simulated listeners", err=True)


@listen.command(short_help="Screening and statistics of a test.")
@click.argument("test")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an HTML report with box plots.",
)
@report_options
@pass_env
def report(
    env: CliEnv, test: str, html_file: Path | None, as_json: bool, as_csv: bool, out: Path | None
) -> None:
    """Screening and statistics of TEST (BS.1534-3 post-screening, Friedman, Wilcoxon-Holm...)."""
    from earwitness.analysis.listening import listening_report

    with env.store() as store:
        result = listening_report(store, test)
        if html_file is not None:
            from earwitness.analysis.listening._html import write_html

            write_html(result, html_file)
    simulated = " · SIMULATED" if result["simulated_answers"] else ""
    if as_json:
        emit(result, as_json=True, out=out)
    elif as_csv:
        emit(_labelled(_table(result), result), as_csv=True, out=out)
    else:
        emit(_table(result), out=out, title=f"{test} ({result['design']}){simulated}")
        excluded = result["excluded_sessions"]
        click.echo(
            f"{len(excluded)} of {result['sessions']} sessions excluded by post-screening", err=True
        )
        _echo_preference(result, simulated)


def _rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def _table(result: dict[str, Any]) -> list[dict[str, Any]]:
    if "by_condition" in result:
        return _rounded(result["by_condition"])
    if "pairs" in result:
        return list(result["pairs"])
    return list(result.get("listeners", []))


def _labelled(rows: list[dict[str, Any]], result: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows with a ``simulated`` column when any answer of the test was simulated."""
    if not result["simulated_answers"]:
        return rows
    return [{**row, "simulated": True} for row in rows]


def _echo_preference(result: dict[str, Any], simulated: str) -> None:
    section = result.get("preference")
    if section is None:
        return
    if section["caveat"]:
        click.echo(f"Blind preference over human: none. {section['caveat']}", err=True)
        return
    keep = ("service", "ai_preferred", "human_preferred", "ties", "rate", "ci_low", "ci_high")
    rows = [{k: row[k] for k in keep} for row in section["by_service"]]
    emit(_rounded(rows), title=f"Blind preference over the human master{simulated}")
    click.echo(section["rule"], err=True)


@listen.command(name="export-webmushra", short_help="Write a webMUSHRA config and its stimuli.")
@click.argument("test")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_env
def export_webmushra(env: CliEnv, test: str, folder: Path) -> None:
    """Write a webMUSHRA config (configs/TEST.yaml) and its stimuli to FOLDER."""
    from earwitness.analysis.listening._webmushra import export_webmushra as export

    with env.store() as store:
        config = export(store, env.study, test, folder)
    click.echo(f"Wrote {config}", err=True)


@listen.command(name="import-webmushra", short_help="Import webMUSHRA results into a test.")
@click.argument("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The earwitness-map.json written by export-webmushra (default: beside FILE).",
)
@pass_env
def import_webmushra(
    env: CliEnv, test: str, files: tuple[Path, ...], map_file: Path | None
) -> None:
    """Import webMUSHRA mushra.csv / paired_comparison.csv results of TEST."""
    from earwitness.analysis.listening._webmushra import import_results

    with env.store() as store:
        counts = import_results(store, test, list(files), map_file)
    click.echo(json.dumps(counts), err=True)
