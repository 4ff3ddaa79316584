"""``earwitness workbench``: serve the coding workbench; ``workbench token``: coders' tokens."""

from __future__ import annotations

import os

import click

from earwitness.clikit import CliEnv, pass_env
from earwitness.errors import BadInputError

__all__ = ["workbench"]


@click.group(
    invoke_without_command=True, short_help="Code, label stance and check agreement in the browser."
)
@click.option("--coder", help="Your coder name (default: $EARWITNESS_CODER).")
@click.option(
    "--blind", is_flag=True, help="Hide other coders' codings of a document until both are done."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8700, show_default=True, help="Port to bind.")
@click.pass_context
def workbench(ctx: click.Context, coder: str | None, blind: bool, host: str, port: int) -> None:
    """Serve the coding workbench (documents, stance queue, agreement) and print its URL.

    On a shared (PostgreSQL) study, or bound beyond 127.0.0.1, coders sign in with the
    token `earwitness workbench token add NAME` made for them, and --coder is not needed."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(_serve, coder=coder, blind=blind, host=host, port=port)


@pass_env
def _serve(env: CliEnv, coder: str | None, blind: bool, host: str, port: int) -> None:
    import uvicorn

    from earwitness.code.workbench import WorkbenchConfig, create_app, needs_tokens

    name = (coder or os.environ.get("EARWITNESS_CODER") or "").strip()
    study = env.study
    with env.store() as store:
        tokens = needs_tokens(store.backend, host)
        if not name and not tokens:
            raise BadInputError(
                "name the coder: --coder NAME (or $EARWITNESS_CODER)", field="coder"
            )
        config = WorkbenchConfig(
            coder=name,
            blind=blind,
            threshold=float(study.setting("agreement_threshold")),
            tokens=tokens,
            double_share=float(study.setting("workbench_double_share")),
            retrain_batch=int(study.setting("workbench_retrain_batch")),
        )
        who = "coders sign in with their tokens" if tokens else f"for {name}"
        click.echo(f"Workbench {who} on http://{host}:{port}/", err=True)
        uvicorn.run(
            create_app(store, config, host),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
        )


@workbench.group(short_help="Coders' sign-in tokens for a shared workbench.")
def token() -> None:
    """Coders' sign-in tokens for a shared workbench (stored hashed, shown once)."""


@token.command("add", short_help="Make a coder's token and print it, once.")
@click.argument("name")
@pass_env
def token_add(env: CliEnv, name: str) -> None:
    """Make a sign-in token for coder NAME and print it, once: pass it to them privately."""
    from earwitness.code.workbench import add_token

    with env.store() as store:
        made = add_token(store, name)
    click.echo(made)
    click.echo(
        f"Token for {name.strip()}: shown only now (the study keeps its hash). Pass it on "
        "privately; `earwitness workbench token revoke` withdraws it.",
        err=True,
    )


@token.command("list")
@pass_env
def token_list(env: CliEnv) -> None:
    """List every token: coder, first characters, when made and revoked."""
    from earwitness.code.workbench import list_tokens

    with env.store() as store:
        rows = list_tokens(store)
    if not rows:
        click.echo("No tokens yet: `earwitness workbench token add NAME` makes one.", err=True)
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "live"
        click.echo(f"{row['coder']}\t{row['token']}\tmade {row['created_at']}\t{state}")


@token.command("revoke")
@click.argument("name")
@click.option("--token", "prefix", help="Only the token starting so (as `token list` shows).")
@pass_env
def token_revoke(env: CliEnv, name: str, prefix: str | None) -> None:
    """Revoke coder NAME's live tokens (or only one): they sign in no more."""
    from earwitness.code.workbench import revoke_tokens

    with env.store() as store:
        count = revoke_tokens(store, name, prefix)
    click.echo(f"Revoked {count} token{'s' if count != 1 else ''} of {name}", err=True)
