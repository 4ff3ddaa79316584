"""Serving the demo: the dashboard and, beside it, the workbench on the same study.

The workbench runs as a child process (``earwitness workbench``) while the dashboard runs
in the foreground (:func:`earwitness.dashboard.serve`); Ctrl-C or SIGTERM stops both, and
the workbench is asked to die with this process (``PR_SET_PDEATHSIG``) should it be killed
outright.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from earwitness.processes import die_with_parent
from earwitness.study import Study

__all__ = ["DEMO_CODER", "serve_demo", "workbench_command"]

DEMO_CODER = "demo-coder"


def workbench_command(study: Study, host: str, port: int, coder: str = DEMO_CODER) -> list[str]:
    """The command line of the demo's workbench."""
    return [sys.executable, "-m", "earwitness", "--study", str(study.root), "workbench",
            "--coder", coder, "--host", host, "--port", str(port)]  # fmt: skip


def serve_demo(study: Study, host: str, port: int, workbench_port: int) -> int:
    """Serve the dashboard on ``port`` and the workbench on ``workbench_port`` until
    interrupted; print both URLs first. Return the dashboard's exit status."""
    from earwitness.dashboard import serve

    if port == workbench_port:
        from earwitness.errors import BadInputError

        raise BadInputError("the dashboard and the workbench need two ports", field="port")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` runs
    shown = f"[{host}]" if ":" in host else host
    print(f"earwitness workbench (coder {DEMO_CODER}): http://{shown}:{workbench_port}/")
    sys.stdout.flush()
    workbench = subprocess.Popen(  # noqa: S603
        workbench_command(study, host, workbench_port), preexec_fn=die_with_parent
    )
    try:
        return serve(study, host=host, port=port)
    finally:
        if workbench.poll() is None:
            workbench.terminate()
            try:
                workbench.wait(timeout=10)
            except subprocess.TimeoutExpired:
                workbench.kill()
                workbench.wait()
