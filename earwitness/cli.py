"""The ``earwitness`` command line.

Core commands live here; each area contributes its own group from
``earwitness/<area>/cli.py``, loaded only when it is used, so ``earwitness status``
starts fast and an area whose extra is not installed fails with one clear line.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from earwitness import __version__
from earwitness.clikit import CliEnv, emit, pass_env, stderr_console
from earwitness.errors import EarwitnessError
from earwitness.settings import SETTINGS

__all__ = ["cli", "main"]

# command name -> ("module:attribute", extra that provides its dependencies)
AREA_COMMANDS: dict[str, tuple[str, str]] = {
    "collect": ("earwitness.collect.cli:collect", "collect"),
    "code": ("earwitness.code.cli:code", "code"),
    "survey": ("earwitness.survey.cli:survey", "survey"),
    "audio": ("earwitness.analysis.cli:audio", "audio"),
    "repro": ("earwitness.analysis.eqmoves.cli:repro", "eqmoves"),
}
IMPORT_COMMANDS: dict[str, tuple[str, str]] = {
    "transcript": ("earwitness.collect.cli:import_transcript", "collect"),
    "survey": ("earwitness.survey.cli:import_survey", "survey"),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> click.Command:
        target, extra = self.lazy[name]
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and not exc.name.startswith("earwitness"):
                raise EarwitnessError(
                    f"`{name}` needs the '{extra}' extra ({exc.name} is not installed): "
                    f"pip install 'earwitness[{extra}]'"
                ) from None
            raise
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(
    cls=LazyGroup, lazy=AREA_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--study",
    metavar="DIR",
    help="Study folder. Default: $EARWITNESS_STUDY, else the current folder or a parent "
    "holding earwitness.toml.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="earwitness")
@click.pass_context
def cli(ctx: click.Context, study: str | None, debug: bool) -> None:
    """Study how musicians and audio engineers adopt AI mixing and mastering tools."""
    ctx.obj = CliEnv(study_arg=study, debug=debug)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Name of the study (default: the folder's name).")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL, e.g. postgresql://user@host/db. Default: study.db (SQLite) in DIRECTORY.",
)
def init(directory: Path, name: str | None, db_url: str | None) -> None:
    """Create a new study folder in DIRECTORY."""
    from earwitness.store import check_db_url
    from earwitness.study import init_study

    study = init_study(directory, name=name, db_url=db_url)
    click.echo(f"Created study {study.name!r} in {study.root}")
    click.echo(f"  database: {check_db_url(study.db_url).render_as_string(hide_password=True)}")
    click.echo("  keep the pseudonym key (secret.key) private: it is never exported")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Emit JSON.")
@pass_env
def status(env: CliEnv, as_json: bool) -> None:
    """Show the study's path, database, schema version and record counts."""
    from earwitness.store import count_records

    with env.store(check_schema=False) as store:
        current, head = store.schema_version(), store.head_version()
        with store.connect() as connection:
            counts = count_records(connection) if current == head else {}
        report = {
            "study": str(env.study.root),
            "name": env.study.name,
            "backend": store.backend,
            "database": store.url,
            "schema_version": current,
            "schema_head": head,
            "schema_up_to_date": current == head,
            "keep_raw": env.study.keep_raw,
            "counts": counts,
        }
    if as_json:
        emit(report, as_json=True)
        return
    emit({k: v for k, v in report.items() if k != "counts"}, title="Study")
    if counts:
        emit([{"kind": k, "records": v} for k, v in counts.items()], title="Records")
    else:
        click.echo("Run `earwitness db upgrade` to bring the schema up to date.", err=True)


@cli.command()
@click.argument("kind", metavar="KIND")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    help="Table format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file. Default: exports/KIND.FORMAT in the study.",
)
@pass_env
def export(env: CliEnv, kind: str, fmt: str, out: Path | None) -> None:
    """Export KIND as a tidy table: documents, segments, codes, codings,
    participants, survey, metrics or ratings."""
    from earwitness.store import EXPORT_KINDS, export_table, write_table

    if kind not in EXPORT_KINDS:
        raise EarwitnessError(
            f"unknown export kind {kind!r}; choose one of: {', '.join(EXPORT_KINDS)}"
        )
    with env.store() as store, store.connect() as connection:
        frame = export_table(connection, kind)
    target = out or env.study.exports_dir / f"{kind}.{fmt}"
    write_table(frame, target, fmt)  # type: ignore[arg-type]
    click.echo(f"Wrote {len(frame)} {kind} rows to {target}")


@cli.group()
def db() -> None:
    """Manage the study database."""


@db.command()
@pass_env
def upgrade(env: CliEnv) -> None:
    """Apply pending schema migrations."""
    with env.store(check_schema=False) as store:
        before, after = store.upgrade()
    if before == after:
        click.echo(f"The schema is up to date ({after}).")
        return
    env.study.settings["schema_version"] = after or ""
    env.study.save_settings()
    click.echo(f"Upgraded the schema from {before} to {after}.")


@cli.command("purge-raw")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_env
def purge_raw(env: CliEnv, yes: bool) -> None:
    """Delete the raw archive of collected responses; processed data stays."""
    import sqlalchemy as sa  # here, not at the top: `earwitness audio measure` never needs it

    from earwitness.store import RawArchive, schema

    if not yes:
        click.confirm(f"Delete every raw response in {env.study.raw_dir}?", abort=True)
    with env.store() as store, store.transaction() as connection:
        connection.execute(
            sa.update(schema.sources)
            .where(schema.sources.c.raw_pointer.is_not(None))
            .values(raw_pointer=None)
        )
        deleted = RawArchive(env.study.raw_dir).purge()
    click.echo(f"Deleted {deleted} raw archive files.")


@cli.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Emit JSON.")
def settings_command(as_json: bool) -> None:
    """List every study setting with its default and help."""
    rows = [{"setting": s.name, "default": s.default, "help": s.help} for s in SETTINGS]
    emit(rows, as_json=as_json, title="Settings (earwitness.toml)")


@cli.group(cls=LazyGroup, lazy=IMPORT_COMMANDS, name="import")
def import_group() -> None:
    """Import interview transcripts and questionnaire exports."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: one clear line and exit status 2 for every user error."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="earwitness", standalone_mode=False)
    except click.exceptions.Abort:
        stderr_console.print("Aborted.")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except EarwitnessError as exc:
        if debug:
            traceback.print_exc()
        print(f"earwitness: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("earwitness: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug, not the user's fault: say so in one line
        if debug:
            raise
        print(
            f"earwitness: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
