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
from pathlib import Path

from earwitness.study import Study

__all__ = ["APP_PATH", "serve", "streamlit_command"]

APP_PATH = Path(__file__).with_name("app.py")


def streamlit_command(host: str = "127.0.0.1", port: int = 8501) -> list[str]:
    """The ``streamlit run`` command line for the app (headless, no usage statistics)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
    ]  # fmt: skip


def serve(study: Study, host: str = "127.0.0.1", port: int = 8501) -> int:
    """Run the dashboard on ``study`` until interrupted; print the URL first."""
    env = {**os.environ, "EARWITNESS_STUDY": str(study.root)}
    if study.db_override:  # `--db URL` for this run reaches the server too
        env["EARWITNESS_DB_URL"] = study.db_override
    shown = f"[{host}]" if ":" in host else host
    print(f"earwitness dashboard of {study.name!r}: http://{shown}:{port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    process = subprocess.Popen(streamlit_command(host, port), env=env)  # noqa: S603
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
