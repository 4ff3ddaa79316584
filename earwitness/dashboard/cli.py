"""``earwitness dashboard``: serve the study's dashboard with Streamlit."""

from __future__ import annotations

import click

from earwitness.clikit import CliEnv, pass_env

__all__ = ["dashboard"]


@click.command(short_help="Serve the read-only dashboard and print its URL.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@pass_env
def dashboard(env: CliEnv, host: str, port: int) -> None:
    """Serve the read-only dashboard of the study (Streamlit) and print its URL."""
    from earwitness.dashboard import serve

    study = env.study
    with env.store():  # refuse a missing or outdated study before starting the server
        pass
    raise SystemExit(serve(study, host=host, port=port))
