"""What every Dask worker of a LocalCluster runs on start (imported only with Dask)."""

from __future__ import annotations

import os

from distributed import WorkerPlugin
from distributed.worker import Worker

from earwitness.processes import die_with_parent, watch_parent


class DieWithDriver(WorkerPlugin):
    """Each worker process of a LocalCluster is a child of the command (its nannies run in
    the command's own process): it dies with the command, even after ``kill -9``,
    including the workers a nanny restarts."""

    name = "earwitness-die-with-driver"

    def __init__(self, driver: int) -> None:
        self.driver = driver

    def setup(self, worker: Worker) -> None:
        if os.getppid() == self.driver:
            die_with_parent()
            watch_parent(self.driver)
