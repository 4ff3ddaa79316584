"""``earwitness repro``: reproductions of published results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from earwitness.clikit import emit, scheduler_option
from earwitness.errors import BadInputError, EarwitnessError

__all__ = ["repro"]

_AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")
_COLUMNS = (
    ("faithful", "song"),
    ("faithful", "clip"),
    ("improved", "song"),
    ("improved", "clip"),
    ("improved-free", "song"),
)


@click.group(short_help="Reproduce published results on open data.")
def repro() -> None:
    """Reproduce published results on open data, side by side with the paper's figures."""


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    return f"{row['accuracy_pct']:.1f} ({row['ci95_low_pct']:.0f}-{row['ci95_high_pct']:.0f})"


def _wide(rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    """One line per dataset: the paper's figure, then each method and split with its CI."""
    chosen = [r for r in rows if r["table"] == table]
    out = []
    for name in dict.fromkeys(r["dataset"] for r in chosen):
        cells = {(r["method"], r["split"]): r for r in chosen if r["dataset"] == name}
        first = next(iter(cells.values()))
        if table == "2" and first["paper_pct"] is None:
            continue
        line: dict[str, Any] = {"dataset": name, "paper %": first["paper_pct"]}
        keys = (
            [("faithful", "rock->other"), ("improved", "rock->other")] if table == "3" else _COLUMNS
        )
        for method, split in keys:
            if (method, split) in cells:
                line[f"{method} ({split})"] = _cell(cells[(method, split)])
        line["n test"] = first["n_test"]
        out.append(line)
    return out


def _other_genres(directory: Path | None) -> list[Path]:
    if directory is None:
        return []
    if not directory.is_dir():
        raise BadInputError("not a folder", file=directory)
    paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in _AUDIO_SUFFIXES)
    if not paths:
        raise BadInputError("holds no audio files (wav, flac, ogg, mp3, aiff)", file=directory)
    return paths


def _say_skipped(path: Path, reason: str) -> None:
    click.echo(f"skipped {path}: {reason}", err=True)


@repro.command(short_help="Shtern, Casas & Tzerpos 2018: EQ moves, Tables 1-3.")
@click.option("--songs", type=click.IntRange(min=4), help="Rock songs to render [default: 40].")
@click.option(
    "--sets",
    "n_sets",
    type=click.IntRange(min=2),
    help="Sets of operations (classes) per dataset [default: 21].",
)
@click.option(
    "--quick",
    is_flag=True,
    help="A small run for CI: 5 songs, 7 sets, 10 s clips, 30 iterations, no free decoder.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("shtern2018"),
    show_default=True,
    help="Folder for the rendered corpus (reused by later runs).",
)
@click.option(
    "--other-genres",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of recordings of other genres for Table 3 (skipped without it).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="CatBoost threads; also the processes for equalising and measuring clips when "
    "there is no Dask scheduler.",
)
@scheduler_option
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    help="CatBoost iterations [default: 1000, the paper's; --quick: 30].",
)
@click.option(
    "--border-count",
    type=click.IntRange(min=1, max=255),
    help="CatBoost feature quantisation borders [default: CatBoost's 254; --quick: 32].",
)
@click.option("--no-free", is_flag=True, help="Skip the free decoder's column (the slowest part).")
@click.option("--seed", type=int, default=2018, show_default=True, help="Corpus and split seed.")
@click.option("--json", "as_json", is_flag=True, help="Emit JSON.")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Emit CSV (one row per table, dataset, split, method)."
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the --json or --csv report to FILE.",
)
def shtern2018(
    songs: int | None,
    n_sets: int | None,
    quick: bool,
    out_dir: Path,
    other_genres: Path | None,
    workers: int,
    scheduler: str | None,
    iterations: int | None,
    border_count: int | None,
    no_free: bool,
    seed: int,
    as_json: bool,
    as_csv: bool,
    report: Path | None,
) -> None:
    """Shtern, Casas & Tzerpos 2018 (EQ moves between masters): Tables 1-3, both methods."""
    from earwitness.analysis.eqmoves._repro import ReproConfig, run_shtern2018
    from earwitness.partitions import resolve_scheduler

    try:
        import catboost  # noqa: F401
    except ModuleNotFoundError:
        raise EarwitnessError(
            "`repro shtern2018` needs the 'eqmoves' extra (catboost is not installed): "
            "pip install 'earwitness[eqmoves]'"
        ) from None
    if quick:
        config = ReproConfig(
            songs=songs or 5,
            n_sets=n_sets or 7,
            clip_s=10.0,
            iterations=iterations or 30,
            border_count=border_count or 32,
            seed=seed,
            workers=workers,
            free_decoder=False,
        )
    else:
        config = ReproConfig(
            songs=songs or 40,
            n_sets=n_sets or 21,
            iterations=iterations or 1000,
            border_count=border_count,
            seed=seed,
            workers=workers,
            free_decoder=not no_free,
        )
    rows = run_shtern2018(
        config,
        out_dir,
        _other_genres(other_genres),
        on_skip=_say_skipped,
        scheduler=resolve_scheduler(scheduler),
    )
    if as_json:
        emit({"config": config.__dict__, "rows": rows}, as_json=True, out=report)
    elif as_csv:
        emit(rows, as_csv=True, out=report)
    else:
        titles = {
            "1": "Table 1: exact set, % [95 % Wilson CI]",
            "2": "Table 2: number of operations, % [95 % Wilson CI]",
            "3": "Table 3: rock-trained, other genres, exact set, % [95 % Wilson CI]",
        }
        for table, title in titles.items():
            wide = _wide(rows, table)
            if wide:
                emit(wide, out=None, title=title)
