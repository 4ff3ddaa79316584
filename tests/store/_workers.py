"""Work run in separate processes by the concurrency tests (importable by spawn)."""

from __future__ import annotations

import traceback
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from earwitness.code._coding import apply_code
from earwitness.collect._dumps import DumpFilter, import_dump
from earwitness.errors import EarwitnessError
from earwitness.store import Store
from earwitness.store.records import ensure_participants
from earwitness.study import find_study


def _outcome(call: Any) -> str:
    try:
        call()
    except EarwitnessError as exc:
        return f"refused: {exc}"
    except Exception:  # what the user would see as "internal error"
        return "internal: " + traceback.format_exc(limit=1).strip().splitlines()[-1]
    return "ok"


def apply_same_coding(
    url: str, barrier: Barrier, rounds: int, spans: list[tuple[int, int]]
) -> list[str]:
    """Each round: a coder name no process used yet, and one span everybody codes."""
    outcomes = []
    with Store.open(url) as store:
        for round_number in range(rounds):
            start, end = spans[round_number]
            barrier.wait(timeout=60)

            def work(s: int = start, e: int = end, r: int = round_number) -> None:
                apply_code(
                    store, "Quality/Harsh", coder=f"coder-{r}", document="forum:t1", start=s, end=e
                )

            outcomes.append(_outcome(work))
    return outcomes


def ensure_same_participants(url: str, barrier: Barrier, rounds: int) -> list[str]:
    outcomes = []
    with Store.open(url) as store:
        for round_number in range(rounds):
            names = [f"p_round{round_number:03d}_{i}" for i in range(20)]
            barrier.wait(timeout=60)

            def work(names: list[str] = names) -> None:
                with store.transaction() as connection:
                    ensure_participants(connection, names)

            outcomes.append(_outcome(work))
    return outcomes


def import_one_dump(study_root: str, dump: str, barrier: Barrier) -> str:
    study = find_study(Path(study_root))
    with study.open_store() as store:
        barrier.wait(timeout=60)
        return _outcome(
            lambda: import_dump(
                study, store, Path(dump), dump_filter=DumpFilter.build(), page_items=3
            )
        )
