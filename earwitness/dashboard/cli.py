"""``earwitness dashboard``: serve the study's dashboard with Streamlit."""

from __future__ import annotations

import click

from earwitness.clikit import CliEnv, pass_env

__all__ = ["dashboard"]


@click.command(short_help="Serve the read-only dashboard and print its URL.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name browsers may use to reach it (repeatable); any other is refused.",
)
@pass_env
def dashboard(env: CliEnv, host: str, port: int, allow_hosts: tuple[str, ...]) -> None:
    """Serve the read-only dashboard of the study (Streamlit) and print its URL."""
    from earwitness.dashboard import serve
    from earwitness.store import Store

    study = env.study
    # Refuse a missing or outdated study before starting the server; read-only, leaving the
    # folder as it is, and without the pseudonym key (nothing here needs it).
    Store.open(study.db_url, create=False, read_only=True, untouched=True).close()
    raise SystemExit(serve(study, host=host, port=port, extra_hosts=allow_hosts))
