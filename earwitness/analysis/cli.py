"""Commands of ``earwitness audio``."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options, scheduler_option
from earwitness.errors import EarwitnessError, StudyNotFoundError

if TYPE_CHECKING:
    from earwitness.partitions import Scheduler

__all__ = ["audio"]

_FILE = click.Path(exists=False, dir_okay=False, path_type=Path)


@click.group()
def audio() -> None:
    """Measure masters; compare AI with human mastering."""


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@audio.command(short_help="Register FILE as a version of a song.")
@click.option("--song", required=True, help="Name of the song (created if new).")
@click.option(
    "--version",
    "version_text",
    required=True,
    metavar="mix|human|ai:SERVICE[:SETTING]",
    help="Which version of the song FILE is.",
)
@click.argument("file", type=_FILE)
@report_options
@pass_env
def add(
    env: CliEnv,
    song: str,
    version_text: str,
    file: Path,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Register FILE as a version of a song, by sha256 (copied or referenced per audio_storage)."""
    from earwitness.analysis.metrics._study import add_file, parse_version

    version = parse_version(version_text)
    with env.store() as store:
        result = add_file(store, env.study, song, version, file)
    emit(result, as_json=as_json, as_csv=as_csv, out=out, title="Added")
    if "warning" in result:
        click.echo(f"warning: {result['warning']}", err=True)


@audio.command(short_help="Measure FILEs, or every file not measured yet.")
@click.argument("files", nargs=-1, type=_FILE)
@click.option(
    "--full", is_flag=True, help="Also show the extended measures (PSR, overs, band widths...)."
)
@click.option(
    "--workers",
    type=int,
    help="Processes of this command when it runs without a Dask scheduler (default: all "
    "cores, at most one per file).",
)
@scheduler_option
@click.option(
    "--lra",
    "lra_convention",
    type=click.Choice(["tech3342", "libebur128"]),
    default="tech3342",
    show_default=True,
    help="LRA from 3 s values at 10 Hz (EBU Tech 3342) or one per second (libebur128, ffmpeg "
    "loudnorm, r128gain).",
)
@click.option(
    "--dual-mono",
    is_flag=True,
    help="Measure a mono file as played on two loudspeakers (+3.01 dB, as ffmpeg's dualmono).",
)
@click.option(
    "--psr-distribution",
    is_flag=True,
    help="Add PSR percentiles over 3 s windows every second (interpolates more of the file).",
)
@click.option(
    "--series",
    is_flag=True,
    help="Add the momentary and short-term loudness every 100 ms (loudness_series, JSON).",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Measure every file even if some fail; report each error and exit 1 if any did.",
)
@report_options
@pass_env
def measure(
    env: CliEnv,
    files: tuple[Path, ...],
    full: bool,
    workers: int | None,
    scheduler: str | None,
    keep_going: bool,
    lra_convention: str,
    dual_mono: bool,
    psr_distribution: bool,
    series: bool,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Measure FILEs; with no FILE, measure every not-yet-measured file of the study."""
    options = {"full": full, "lra_convention": lra_convention, "dual_mono": dual_mono,
               "psr_distribution": psr_distribution, "series": series}  # fmt: skip
    from earwitness.analysis.metrics._batch import check_workers

    where = _where(env, scheduler, files)
    check_workers(workers, where)
    if files:
        _measure_files(files, options, (workers, where), keep_going, as_json, as_csv, out)
        return
    from earwitness.analysis.metrics._study import measure_pending

    with env.store() as store:
        pending = measure_pending(
            store, env.study, workers=workers, options=options, scheduler=where
        )
        reports = [_clean(r) for r in pending]
    if not reports:
        click.echo("Every audio file of the study is measured.", err=True)
        return
    failed = [r for r in reports if "error" in r]
    if as_json:
        emit(reports, as_json=True, out=out)
    else:
        rows = [{k: _flat(r).get(k) for k in ("path", "integrated_lufs", "true_peak_dbtp",
                 "lra_lu", "error")} for r in reports]  # fmt: skip
        emit(rows, as_csv=as_csv, out=out, title=f"Measured {len(reports)} files")
    _exit_if_failed(failed, len(reports))


def _where(env: CliEnv, option: str | None, files: tuple[Path, ...]) -> Scheduler:
    """``--scheduler``, else the study's setting; measuring FILEs needs no study, so
    outside one only the option and EARWITNESS_SCHEDULER count."""
    from earwitness.partitions import resolve_scheduler

    try:
        return env.scheduler(option)
    except StudyNotFoundError:
        if not files:
            raise
        return resolve_scheduler(option)


def _measure_files(
    files: tuple[Path, ...],
    options: dict[str, Any],
    where: tuple[int | None, Scheduler],
    keep_going: bool,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Each file's metrics or error object, in the order given."""
    from earwitness.analysis.metrics._batch import measure_files

    full = bool(options["full"])
    workers, scheduler = where
    outcomes = measure_files(
        files, workers=workers, options=options, keep_going=keep_going, scheduler=scheduler
    )
    reports: list[dict[str, Any]] = []
    with contextlib.closing(outcomes):  # the pool stops here, not when collected
        for outcome in outcomes:
            for warning in outcome.get("warnings", []):
                click.echo(f"warning: {outcome['file']}: {warning}", err=True)
            if not full:
                outcome.pop("warnings", None)
            reports.append(_clean(outcome))
            if "error" in outcome and not keep_going:
                break
    failed = [r for r in reports if "error" in r]
    if len(files) == 1 and failed:
        raise EarwitnessError(failed[0]["error"])
    if len(files) == 1 and as_json:
        emit({k: v for k, v in reports[0].items() if k != "file"}, as_json=True, out=out)
    elif as_json:
        emit(reports, as_json=True, out=out)
    elif as_csv:
        emit([_flat(r) for r in reports], as_csv=True, out=out)
    else:
        for report in reports:
            if "error" in report:
                click.echo(f"error: {report['error']}", err=True)
            else:
                emit(_flat({k: v for k, v in report.items() if k != "file"}), out=out,
                     title=report["file"])  # fmt: skip
    _exit_if_failed(failed, len(files), stopped=not keep_going)


def _exit_if_failed(failed: list[dict[str, Any]], total: int, *, stopped: bool = False) -> None:
    """Exit 1 when some files failed and the others were reported; 2 when stopped early."""
    if not failed:
        return
    if stopped:
        raise EarwitnessError(f"{failed[0]['error']} (stopped; --keep-going measures the rest)")
    click.echo(f"{len(failed)} of {total} files failed", err=True)
    raise SystemExit(1)


def _flat(report: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in report.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


@audio.command(short_help="Compare each version with the reference and the mix.")
@click.option("--song", help="Compare only this song (default: every song).")
@click.option(
    "--reference",
    help="Reference version: human (default: audio_reference_version), mix or a label.",
)
@report_options
@pass_env
def compare(
    env: CliEnv,
    song: str | None,
    reference: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Compare each version with the reference and with the mix; print and store the results."""
    import sqlalchemy as sa

    from earwitness.analysis.metrics._study import compare_song
    from earwitness.store import schema

    reference = reference or str(env.study.setting("audio_reference_version"))
    with env.store() as store:
        if song:
            songs = [song]
        else:
            with store.connect() as connection:
                songs = list(
                    connection.scalars(sa.select(schema.songs.c.name).order_by(schema.songs.c.id))
                )
        results = [r for name in songs for r in compare_song(store, env.study, name, reference)]
    results = [
        _clean({k: v for k, v in r.items() if k not in ("version_id", "reference_id")})
        for r in results
    ]
    if as_json:
        emit(results, as_json=True, out=out)
        return
    rows = [
        {"song": r["song"], "version": r["version"], "reference": r["reference"],
         "gain_db": r["deltas"]["gain_db"], "lra_lu": r["deltas"]["lra_lu"],
         "plr_db": r["deltas"]["plr_db"], "centroid_hz": r["deltas"]["spectral_centroid_hz"],
         "width_db": r["deltas"]["stereo_width_db"],
         "null_residual_db": r["null_test"]["residual_db"],
         "eq_moves": r["eq_moves"]["count"]}
        for r in results
    ]  # fmt: skip
    emit(rows, as_csv=as_csv, out=out, title="Versions compared (deltas at equal loudness)")


@audio.command(short_help="Null-test two masters of one mix by one service.")
@click.argument("first", type=_FILE)
@click.argument("second", type=_FILE)
@report_options
def consistency(first: Path, second: Path, as_json: bool, as_csv: bool, out: Path | None) -> None:
    """Null-test two masters of one mix by one service: identical, near-identical or different."""
    from earwitness.analysis.metrics._audit import consistency as audit
    from earwitness.analysis.metrics._io import read_audio

    result = _clean(audit(read_audio(first), read_audio(second)))
    emit(result, as_json=as_json, as_csv=as_csv, out=out, title="Consistency")


@audio.command(short_help="Cluster a service's stored EQ curves into presets.")
@click.option("--service", required=True, help="AI service whose per-song EQ curves to cluster.")
@click.option(
    "--threshold", type=float, default=1.0, show_default=True, help="Cut distance, dB RMS."
)
@report_options
@pass_env
def presets(
    env: CliEnv, service: str, threshold: float, as_json: bool, as_csv: bool, out: Path | None
) -> None:
    """Cluster a service's stored EQ curves (against the mix) into distinct presets."""
    from earwitness.analysis.metrics._audit import preset_structure
    from earwitness.analysis.metrics._study import stored_curves

    with env.store() as store, store.connect() as connection:
        curves = stored_curves(connection, service)
    if not curves:
        raise EarwitnessError(
            f"no stored EQ curves for service {service!r}: run `earwitness audio compare` first"
        )
    structure = preset_structure(curves, threshold)
    report = {"service": service, "curves": structure.n_curves,
              "distinct_curves": structure.n_distinct, "threshold_db": structure.threshold_db,
              "clusters": structure.labels}  # fmt: skip
    emit(report, as_json=as_json, as_csv=as_csv, out=out, title="Preset structure")


@audio.command("eq-moves", short_help="The EQ moves that take one master to another.")
@click.argument("reference", type=_FILE)
@click.argument("candidate", type=_FILE)
@click.option("--max-operations", type=click.IntRange(min=1, max=30), default=10,
              show_default=True, help="Most operations to look for.")  # fmt: skip
@report_options
def eq_moves(
    reference: Path,
    candidate: Path,
    max_operations: int,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """The EQ operations (peaking boosts and cuts) that take REFERENCE to CANDIDATE."""
    from earwitness.analysis.eqmoves import estimate_moves
    from earwitness.analysis.metrics._io import read_audio

    result = estimate_moves(
        read_audio(reference), read_audio(candidate), max_operations=max_operations
    )
    report = _clean(result.as_dict())
    if as_json:
        emit(report, as_json=True, out=out)
        return
    if as_csv:
        emit(_eq_moves_rows(report), as_csv=True, out=out)
        return
    emit(report["operations"] or [{"freq_hz": None}], out=out, title=_eq_moves_title(report))


_EQ_SUMMARY = (
    "count",
    "overall_gain_db",
    "residual_db_rms",
    "measured_from_hz",
    "measured_to_hz",
    "smallest_move_db",
    "lowpass_hz",
    "dynamics_db",
)
_EQ_OPERATION = ("freq_hz", "gain_db", "width_oct", "confidence")


def _eq_moves_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per operation (one empty row when there is none), each carrying the summary:
    overall gain, residual and what was explained as not EQ."""
    summary = {key: report[key] for key in _EQ_SUMMARY}
    operations = report["operations"] or [dict.fromkeys(_EQ_OPERATION)]
    return [{**operation, **summary} for operation in operations]


def _eq_moves_title(report: dict[str, Any]) -> str:
    title = (
        f"{report['count']} EQ moves; overall gain {report['overall_gain_db']} dB; "
        f"unexplained {report['residual_db_rms']} dB RMS; well measured "
        f"{report['measured_from_hz']:.0f}-{report['measured_to_hz']:.0f} Hz; "
        f"smallest move {report['smallest_move_db']} dB"
    )
    if report["lowpass_hz"] is not None:
        title += f"; band-limited above {report['lowpass_hz']} Hz (not EQ)"
    if report["dynamics_db"]:
        title += f"; dynamics {report['dynamics_db']} dB (not EQ)"
    return title
