"""``earwitness workbench``: serve the coding workbench to one coder."""

from __future__ import annotations

import os

import click

from earwitness.clikit import CliEnv, pass_env
from earwitness.errors import BadInputError

__all__ = ["workbench"]


@click.command(short_help="Code, label stance and check agreement in the browser.")
@click.option("--coder", help="Your coder name (default: $EARWITNESS_CODER).")
@click.option(
    "--blind", is_flag=True, help="Hide other coders' codings of a document until both are done."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8700, show_default=True, help="Port to bind.")
@pass_env
def workbench(env: CliEnv, coder: str | None, blind: bool, host: str, port: int) -> None:
    """Serve the coding workbench (documents, stance queue, agreement) and print its URL."""
    import uvicorn

    from earwitness.code.workbench import WorkbenchConfig, create_app

    name = (coder or os.environ.get("EARWITNESS_CODER") or "").strip()
    if not name:
        raise BadInputError("name the coder: --coder NAME (or $EARWITNESS_CODER)", field="coder")
    config = WorkbenchConfig(
        coder=name, blind=blind, threshold=float(env.study.setting("agreement_threshold"))
    )
    with env.store() as store:
        click.echo(f"Workbench for {name} on http://{host}:{port}/", err=True)
        uvicorn.run(create_app(store, config, host), host=host, port=port, log_level="warning")
