"""earwitness.dashboard: links each user group's sentiment to each AI service's measured and
perceived quality (Streamlit and Plotly), read-only.

``earwitness dashboard`` runs :func:`serve`; the app is ``app.py`` with its pages in
``views/``. Data come from the areas' public APIs and the store, opened read-only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from earwitness.processes import die_with_parent
from earwitness.study import Study

__all__ = ["APP_PATH", "allowed_hosts", "serve", "streamlit_command", "streamlit_options"]

APP_PATH = Path(__file__).with_name("app.py")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 (named, to warn about them)


def allowed_hosts(host: str, extra: Sequence[str] = ()) -> list[str]:
    """The Host names a browser may reach the dashboard by: loopback, the address it listens
    on (unless every interface), and the names given with ``--allow-host``. Any other Host
    (a DNS-rebinding page's own name) is refused at the WebSocket."""
    names = [*LOOPBACK, *([] if host in WILDCARDS else [host]), *extra]
    return list(dict.fromkeys(name.strip("[]").lower() for name in names if name))


def streamlit_options(
    host: str = "127.0.0.1", port: int = 8501, extra_hosts: Sequence[str] = ()
) -> list[str]:
    """Streamlit's options for the dashboard: headless, offline (no usage statistics, no
    address lookups), only the served host names, CORS and XSRF protection on, a viewer's
    toolbar (no Deploy button or developer menu), no file watching."""
    options = [
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--server.enableCORS", "true", "--server.enableXsrfProtection", "true",
        "--client.toolbarMode", "minimal", "--server.fileWatcherType", "none",
        "--server.runOnSave", "false", "--logger.hideWelcomeMessage", "true",
        "--browser.serverAddress", "localhost" if host in WILDCARDS else host,
        "--server.enableAgentApi", "false",
    ]  # fmt: skip
    for name in allowed_hosts(host, extra_hosts):
        options += ["--server.allowedHosts", name]
    return options


def streamlit_command(
    host: str = "127.0.0.1", port: int = 8501, extra_hosts: Sequence[str] = ()
) -> list[str]:
    """The ``streamlit run`` command line for the app (see :func:`streamlit_options`)."""
    launcher = "earwitness.dashboard._launch"
    return [sys.executable, "-m", launcher, "run", str(APP_PATH),
            *streamlit_options(host, port, extra_hosts)]  # fmt: skip


def _no_login_warning(host: str, extra_hosts: Sequence[str]) -> str | None:
    if host in LOOPBACK:
        return None
    where = "every network interface" if host in WILDCARDS else f"{host}"
    names = ", ".join(allowed_hosts(host, extra_hosts))
    return (
        f"WARNING: the dashboard listens on {where} and has no login: anyone who can reach "
        f"this port can read the study. It answers only to the host names {names} "
        "(add the name people type with --allow-host)."
    )


def serve(
    study: Study, host: str = "127.0.0.1", port: int = 8501, extra_hosts: Sequence[str] = ()
) -> int:
    """Run the dashboard on ``study`` until interrupted; print the URL first."""
    env = {**os.environ, "EARWITNESS_STUDY": str(study.root)}
    if study.db_override:  # `--db URL` for this run reaches the server too
        env["EARWITNESS_DB_URL"] = study.db_override
    warning = _no_login_warning(host, extra_hosts)
    if warning:
        print(warning, file=sys.stderr)
    shown = "127.0.0.1" if host in WILDCARDS else f"[{host}]" if ":" in host else host
    print(f"earwitness dashboard of {study.name!r}: http://{shown}:{port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    command = streamlit_command(host, port, extra_hosts)
    # the server dies with this process, even on kill -9 (PR_SET_PDEATHSIG)
    process = subprocess.Popen(command, env=env, preexec_fn=die_with_parent)  # noqa: S603
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` runs
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:  # never leave the server running behind us (Ctrl+C, SIGTERM, an error)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
