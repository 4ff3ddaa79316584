"""The ``earwitness`` command line.

Core commands live here; each area contributes its own group from
``earwitness/<area>/cli.py``, loaded only when it is used, so ``earwitness status``
starts fast and an area whose extra is not installed fails with one clear line.
"""

from __future__ import annotations

import errno
import importlib
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from earwitness import __version__, clikit
from earwitness.clikit import CliEnv, emit, pass_env
from earwitness.errors import EarwitnessError, Terminated
from earwitness.settings import SETTINGS, TABLES

if TYPE_CHECKING:
    import pandas as pd

    from earwitness.store import Store

__all__ = ["cli", "main"]

# command name -> ("module:attribute", extra that provides its dependencies; "core": none)
AREA_COMMANDS: dict[str, tuple[str, str]] = {
    "collect": ("earwitness.collect.cli:collect", "collect"),
    "code": ("earwitness.code.cli:code", "code"),
    "workbench": ("earwitness.code.workbench.cli:workbench", "code"),
    "survey": ("earwitness.survey.cli:survey", "survey"),
    "audio": ("earwitness.analysis.cli:audio", "audio"),
    "groups": ("earwitness.groups.cli:groups", "core"),
    "listen": ("earwitness.analysis.listening.cli:listen", "audio"),
    "services": ("earwitness.services.cli:services", "core"),
    "dashboard": ("earwitness.dashboard.cli:dashboard", "dashboard"),
    "demo": ("earwitness.demo.cli:demo", "all"),
    "repro": ("earwitness.analysis.eqmoves.cli:repro", "eqmoves"),
}
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
IMPORT_COMMANDS: dict[str, tuple[str, str]] = {
    "transcript": ("earwitness.collect.cli:import_transcript", "collect"),
    "survey": ("earwitness.survey.cli:import_survey", "survey"),
}
# The one-line summary `--help` shows for a lazily loaded command (by its target), so that
# listing the commands imports none of them; tests/test_cli.py checks each equals the
# command's own summary.
SUMMARIES: dict[str, str] = {
    "earwitness.collect.cli:collect": "Collect forum threads: Reddit, dumps, Discourse, forums.",
    "earwitness.code.cli:code": "Code segments against a codebook; measure agreement.",
    "earwitness.code.workbench.cli:workbench": (
        "Code, label stance and check agreement in the browser."
    ),
    "earwitness.survey.cli:survey": "Analyse questionnaires by user group.",
    "earwitness.analysis.cli:audio": "Measure masters; compare AI with human mastering.",
    "earwitness.groups.cli:groups": "User groups (amateur, pro-am, professional) of authors.",
    "earwitness.analysis.listening.cli:listen": (
        "Blind, loudness-matched listening tests of song versions."
    ),
    "earwitness.services.cli:services": "Each AI service in text and audio, and what matches none.",
    "earwitness.dashboard.cli:dashboard": "Serve the read-only dashboard and print its URL.",
    "earwitness.demo.cli:demo": "The whole loop on a SIMULATED study, then its dashboard.",
    "earwitness.analysis.eqmoves.cli:repro": "Reproduce published results on open data.",
    "earwitness.collect.cli:import_transcript": "Import interview transcripts.",
    "earwitness.survey.cli:import_survey": "Import a questionnaire export.",
}
# A study's workflow, in order, as `earwitness --help` lists it; then the housekeeping.
WORKFLOW = (
    "init",
    "collect",
    "import",
    "code",
    "workbench",
    "groups",
    "services",
    "survey",
    "audio",
    "listen",
    "dashboard",
    "export",
)
HOUSEKEEPING = ("join", "status", "settings", "db", "purge-raw", "demo", "repro")


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = {*super().list_commands(ctx), *self.lazy}
        order = {name: i for i, name in enumerate((*WORKFLOW, *HOUSEKEEPING))}
        return sorted(names, key=lambda name: (order.get(name, len(order)), name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = (
            self._load(cmd_name) if cmd_name in self.lazy else super().get_command(ctx, cmd_name)
        )
        return None if command is None else accept_study_options(command)

    def summary(self, ctx: click.Context, name: str, limit: int) -> str:
        """A command's one-line summary, without importing a lazy command that has one."""
        if name in self.lazy and self.lazy[name][0] in SUMMARIES:
            return SUMMARIES[self.lazy[name][0]]
        command = self.get_command(ctx, name)
        return "" if command is None else command.get_short_help_str(limit)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [n for n in self.list_commands(ctx) if not self._hidden(ctx, n)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        workflow = [(n, self.summary(ctx, n, limit)) for n in names if n in WORKFLOW]
        other = [(n, self.summary(ctx, n, limit)) for n in names if n not in WORKFLOW]
        if workflow and ctx.parent is None:
            with formatter.section("A study's workflow, in order"):
                formatter.write_dl(workflow)
            title = "The study and its database"
        else:
            other, title = workflow + other, "Commands"
        if other:
            with formatter.section(title):
                formatter.write_dl(other)

    def _hidden(self, ctx: click.Context, name: str) -> bool:
        if name in self.lazy:
            return False
        command = super().get_command(ctx, name)
        return command is None or command.hidden

    def _load(self, name: str) -> click.Command:
        target, extra = self.lazy[name]
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and not exc.name.startswith("earwitness") and extra != "core":
                raise EarwitnessError(
                    f"`{name}` needs the '{extra}' extra ({exc.name} is not installed): "
                    f"pip install 'earwitness[{extra}]'"
                ) from None
            raise
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


def accept_study_options(command: click.Command) -> click.Command:
    """Let ``--study DIR`` and ``--db URL`` follow the command's name too (hidden there;
    the root's ``--help`` shows them), for the command and every subcommand of it. A
    command with an option of its own of that name (``init --db``) keeps it."""
    flags = {flag for param in command.params for flag in getattr(param, "opts", ())}
    for flag, metavar, callback in (
        ("--study", "DIR", _study_after),
        ("--db", "URL", _db_after),
    ):
        if flag not in flags:
            command.params.append(
                click.Option(
                    [flag], metavar=metavar, expose_value=False, hidden=True, callback=callback
                )
            )
    if isinstance(command, click.Group) and not isinstance(command, LazyGroup):
        for subcommand in command.commands.values():
            accept_study_options(subcommand)
    return command


def _study_after(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliEnv).choose(study=value)


def _db_after(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliEnv).choose(db=value)


@click.group(
    cls=LazyGroup, lazy=AREA_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--study",
    metavar="DIR",
    help="Study folder. Default: $EARWITNESS_STUDY, else the current folder or a parent "
    "holding earwitness.toml.",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Study database URL for this run (overrides $EARWITNESS_DB_URL and the study's "
    "db_url). --study and --db may also follow the command's name.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="earwitness")
@click.pass_context
def cli(ctx: click.Context, study: str | None, db_url: str | None, debug: bool) -> None:
    """Study how musicians and audio engineers adopt AI mixing and mastering tools."""
    ctx.obj = CliEnv(study_arg=study, debug=debug, db_arg=db_url)


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


@cli.command(short_help="Join a team's study: a folder on its database.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    required=True,
    help="URL of the team's study database, e.g. postgresql://user@host/db.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The team's secret.key, passed on out of band. Default: DIRECTORY/secret.key.",
)
def join(directory: Path, db_url: str, key_file: Path | None) -> None:
    """Join a team's existing study: a folder on its database, with its key checked."""
    from earwitness.store import check_db_url
    from earwitness.study import join_study

    study = join_study(directory, db_url=db_url, key_file=key_file)
    click.echo(f"Joined study in {study.root}: the key matches the database's fingerprint")
    click.echo(f"  database: {check_db_url(study.db_url).render_as_string(hide_password=True)}")
    click.echo("  keep the pseudonym key (secret.key) private: it is never exported")


@cli.command(short_help="Path, database, schema version and record counts.")
@click.option("--json", "as_json", is_flag=True, help="Emit JSON.")
@pass_env
def status(env: CliEnv, as_json: bool) -> None:
    """Show the study's path, database, schema version and record counts."""
    from earwitness.store import count_records

    with env.store(check_schema=False, read_only=True) as store:
        current, head = store.schema_version(), store.head_version()
        newer = store.is_newer_than_known()
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
    elif newer:
        click.echo(
            f"The study's schema ({current}) is newer than this earwitness ({head}): "
            "upgrade earwitness (pip install -U earwitness) to use it.",
            err=True,
        )
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
    """Export KIND as a tidy table.

    KIND is documents, segments, codes, codings, participants, survey, metrics, ratings
    or mentions.
    """
    from earwitness.store import EXPORT_KINDS, write_table

    if kind not in EXPORT_KINDS:
        raise EarwitnessError(
            f"unknown export kind {kind!r}; choose one of: {', '.join(EXPORT_KINDS)}"
        )
    with env.store(read_only=True) as store:
        frame = _export_frame(store, kind)
    target = out or env.study.exports_dir / f"{kind}.{fmt}"
    write_table(frame, target, fmt)  # type: ignore[arg-type]
    click.echo(f"Wrote {len(frame)} {kind} rows to {target}")


def _export_frame(store: Store, kind: str) -> pd.DataFrame:
    """The table of one export kind; services named as the study's services name them."""
    if kind == "ratings":  # with the post-screening and blind preference of the listening tests
        from earwitness.analysis.listening import ratings_export

        return ratings_export(store)
    from earwitness.services import ServiceIndex, load_services
    from earwitness.store import export_table

    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        return export_table(connection, kind, service_of=index.of_label)


@cli.group()
def db() -> None:
    """Manage the study database."""


@db.command()
@pass_env
def upgrade(env: CliEnv) -> None:
    """Apply pending schema migrations."""
    from earwitness.store import check_key, key_mismatch, record_key

    with env.store(check_schema=False) as store:
        before, after = store.upgrade()
        with store.transaction() as connection:  # studies made before fingerprints
            if check_key(connection, env.study.key()) is False:
                raise key_mismatch(str(env.study.root / "secret.key"))
            record_key(connection, env.study.key())
    if before == after:
        click.echo(f"The schema is up to date ({after}).")
        return
    env.study.settings["schema_version"] = after or ""
    env.study.save_settings()
    click.echo(f"Upgraded the schema from {before} to {after}.")


@cli.command("purge-raw", short_help="Delete the raw archive of collected responses.")
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
    rows += [{"setting": f"[{s.name}]", "default": s.default, "help": s.help} for s in TABLES]
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
        clikit.stderr_console.print("Aborted.")
        sys.exit(1)
    except click.UsageError as exc:
        print(f"earwitness: error: {_one_line(exc.format_message())}{_usage_hint(exc)}",
              file=sys.stderr)  # fmt: skip
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        print(f"earwitness: error: {_one_line(exc.format_message())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except EarwitnessError as exc:
        if debug:
            traceback.print_exc()
        print(f"earwitness: error: {_one_line(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Terminated as exc:
        print("earwitness: terminated", file=sys.stderr)
        sys.exit(exc.code)
    except KeyboardInterrupt:
        print("earwitness: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug, not the user's fault: say so in one line
        if debug:
            raise
        explained = _explain_environment_error(exc)
        if explained is not None:
            print(f"earwitness: error: {explained}", file=sys.stderr)
            sys.exit(2)
        print(
            f"earwitness: internal error: {type(exc).__name__}: {_without_sql(exc)} "
            "(run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _usage_hint(exc: click.UsageError) -> str:
    if exc.ctx is None:
        return ""
    return f" (see `{exc.ctx.command_path} --help`)"


def _explain_environment_error(exc: Exception) -> str | None:
    """One line for faults of the machine, not of earwitness: a full disk, a read-only
    folder, a corrupt database. Never the SQL or the data it carried."""
    if type(exc).__module__.startswith("sqlalchemy"):
        from earwitness.store import explain_database_error

        return explain_database_error(exc)
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        from earwitness.files import disk_error

        return str(disk_error(exc, Path(str(exc.filename or "a file"))))
    return None


def _without_sql(exc: Exception) -> str:
    """The driver's first line for a database error (the SQL and its parameters follow
    it in SQLAlchemy's text, and may hold collected data); the message otherwise."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return _one_line(text.splitlines()[0]) if text else ""
