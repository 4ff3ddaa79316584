"""``earwitness demo``: the whole loop on a SIMULATED study, then its dashboard."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["demo"]


@click.command(short_help="The whole loop on a SIMULATED study, then its dashboard.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="demo-study")
@click.option("--no-serve", is_flag=True, help="Build the study, print the URL, do not serve.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Dashboard and workbench address."
)
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workbench-port",
    default=8700,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The workbench's port.",
)
@click.option("--no-suggest", is_flag=True, help="Skip code suggestions (no embedding model).")
@click.option(
    "--inputs-only",
    is_flag=True,
    help="Only write the demo's input files into DIRECTORY (for docs/tutorial.md); no study.",
)
def demo(
    directory: Path,
    no_serve: bool,
    host: str,
    port: int,
    workbench_port: int,
    no_suggest: bool,
    inputs_only: bool,
) -> None:
    """Run the whole loop on a new SIMULATED study in DIRECTORY, then serve its dashboard
    and, beside it, the coding workbench (as coder demo-coder)."""
    from earwitness.demo import run_demo, write_inputs

    if inputs_only:
        for path in write_inputs(directory):
            click.echo(str(path))
        return

    from earwitness.demo import DEMO_CODER, serve_demo

    study = run_demo(directory, click.echo, suggest=not no_suggest)
    url = f"http://{host}:{port}/"
    if no_serve:
        click.echo(f"\nDone. Serve the dashboard with: earwitness --study {study.root} dashboard")
        click.echo(f"It will be at {url}")
        click.echo(
            f"and the workbench with: earwitness --study {study.root} workbench "
            f"--coder {DEMO_CODER} --port {workbench_port}"
        )
        click.echo(f"It will be at http://{host}:{workbench_port}/")
        return
    raise SystemExit(serve_demo(study, host, port, workbench_port))
