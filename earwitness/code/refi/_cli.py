"""``earwitness code export-qdpx`` and ``import-qdpx``: REFI-QDA projects in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from earwitness.clikit import CliEnv, emit, pass_env, stderr_console
from earwitness.errors import EarwitnessError
from earwitness.files import check_replaceable
from earwitness.progress import ProgressReporter

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness code``."""
    group.add_command(export_qdpx_command)
    group.add_command(import_qdpx_command)


def _path_argument() -> Any:
    return click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@click.command("export-qdpx", short_help="Write the study as a REFI-QDA project (.qdpx).")
@_path_argument()
@click.option("--json", "as_json", is_flag=True, help="Emit the summary as JSON.")
@click.option("--force", is_flag=True, help="Write FILE even if its name does not end in .qdpx.")
@pass_env
def export_qdpx_command(env: CliEnv, file: Path, as_json: bool, force: bool) -> None:
    """Write the whole study to FILE as a REFI-QDA 1.0 project (.qdpx) for NVivo,
    ATLAS.ti, MAXQDA or QualCoder: sources, codebook, coders, codings, notes, and cases
    with variables such as user group. FILE must end in .qdpx (unless --force) and is
    replaced only if it is a regular file, only once the export is complete."""
    from earwitness.code.refi._exchange import export_qdpx

    if file.suffix.lower() != ".qdpx" and not force:
        raise EarwitnessError(
            f"{file}: a REFI-QDA project file ends in .qdpx; name one, or add --force"
        )
    check_replaceable(file)
    with env.store() as store:
        summary = export_qdpx(store, file, name=env.study.name, progress=ProgressReporter)
    emit(summary.as_dict(), as_json=as_json, title="REFI-QDA export")


@click.command("import-qdpx", short_help="Import a REFI-QDA project (.qdpx).")
@_path_argument()
@click.option("--json", "as_json", is_flag=True, help="Emit the summary as JSON.")
@pass_env
def import_qdpx_command(env: CliEnv, file: Path, as_json: bool) -> None:
    """Import a REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA or QualCoder.

    The unit of its selection offsets is detected and converted to code points;
    selections that cannot be re-anchored, and codings by users the file never declares,
    are reported. Nothing is written if the file is refused.
    """
    from earwitness.code.refi._exchange import import_qdpx

    with env.store() as store:
        summary = import_qdpx(store, file, progress=ProgressReporter)
    report = summary.as_dict()
    if as_json:
        emit(report, as_json=True)
        return
    emit(
        {
            "file": summary.file,
            "made by": summary.origin or "(not stated)",
            "offset unit": summary.offset_unit,
            "codes": f"{summary.codes} ({summary.codes_new} new)",
            "sources": f"{summary.sources} ({summary.sources_new} new)",
            "codings": f"{summary.codings} ({summary.codings_new} new)",
            "coders": len(summary.coders),
            "undeclared coders": len(summary.undeclared_coders),
            "selections not re-anchored": len(summary.unanchored),
            "selections re-anchored by their quote": summary.relocated,
            "sources skipped": len(summary.skipped_sources),
            "notes": summary.notes,
            "cases": summary.cases,
        },
        title="REFI-QDA import",
    )
    if summary.coders:
        emit(summary.coders, title="Codings per coder")
    for coder in summary.undeclared_coders:
        stderr_console.print(
            f"warning: {coder['codings']} codings by user {coder['guid']}, whom the file "
            f"never declares, are kept under the undeclared coder {coder['name']!r}",
            markup=False,
        )
    if summary.unanchored:
        emit(summary.unanchored, title="Selections that could not be re-anchored")
    if summary.skipped_sources:
        emit(summary.skipped_sources, title="Sources not imported")
