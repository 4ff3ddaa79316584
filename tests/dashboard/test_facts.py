"""The dashboard's in-memory counts (``_facts``) give the SQL aggregates' own figures, under
every kind of filter, on the demo study and on the filled study of each backend."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from earwitness.dashboard import _data
from earwitness.dashboard._facts import Facts
from earwitness.dashboard._filters import Filters
from earwitness.store import Store
from earwitness.study import Study, find_study

CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("overview", ()),
    ("code_group_matrix", ("participant",)),
    ("code_group_matrix", ("segment",)),
    ("cooccurrence", ()),
    ("stance_by_service_group", ()),
    ("stance_trend", ()),
]
SLOW = [("sentiment_quality", ("preference",))]  # stance and listening: a few filters suffice


def _filters(store: Store) -> list[Filters]:
    options = _data.filter_options(store)
    first, last = options["first"], options["last"]
    middle = first + (last - first) / 2
    groups, services = options["groups"], options["services"]
    return [
        Filters(),
        *(Filters(platforms=(p,)) for p in options["platforms"]),
        *(Filters(groups=(g,)) for g in groups),
        *(Filters(services=(x,)) for x in services),
        Filters(start=middle),
        Filters(end=middle),
        Filters(start=middle - timedelta(days=40), end=middle + timedelta(days=40)),
        Filters(start=last + timedelta(days=1)),  # an empty range
        Filters(groups=tuple(groups[:2]), services=tuple(services[1:3]), end=middle),
        Filters(platforms=tuple(options["platforms"][:1]), groups=tuple(groups[-1:])),
    ]


def _same(direct: Any, fast: Any, where: str) -> None:
    if isinstance(direct, dict):
        assert direct.keys() == fast.keys(), where
        for key in direct:
            _same(direct[key], fast[key], f"{where}.{key}")
    elif isinstance(direct, pd.DataFrame):
        assert list(direct.columns) == list(fast.columns), where
        pd.testing.assert_frame_equal(
            direct.reset_index(drop=True), fast.reset_index(drop=True), check_dtype=False,
            obj=where,
        )  # fmt: skip
    else:
        assert direct == fast, where


def _compare(store: Store) -> int:
    facts = Facts.read(store)
    compared = 0
    for n, f in enumerate(_filters(store)):
        for name, args in CALLS + (SLOW if n % 4 == 0 else []):
            direct = getattr(_data, name)(store, f, *args)
            fast = getattr(_data, name)(store, f, *args, facts=facts)
            _same(direct, fast, f"{name}{args} under {f}")
            compared += 1
    return compared


def test_the_in_memory_counts_equal_sql_on_the_demo_study(built_demo: tuple[Path, Any]) -> None:
    target, built = built_demo  # built once per test process (tests/conftest.py)
    assert built.exit_code == 0, built.output
    with find_study(target).open_store(read_only=True) as store:
        overview = _data.overview(store, Filters())
        assert overview["counts"]["documents"] > 100  # a study worth comparing
        assert _data.stance_by_service_group(store, Filters())["participants"].sum() > 20
        assert _compare(store) > 100


def test_the_in_memory_counts_equal_sql_on_each_backend(filled: Study) -> None:
    """Here with documents no longer active and documents without an author."""
    import sqlalchemy as sa

    from earwitness.store import schema as s

    with filled.open_store() as store, store.transaction() as connection:
        connection.execute(
            sa.update(s.documents).where(s.documents.c.id.in_([1, 4])).values(status="deleted")
        )
        connection.execute(
            sa.update(s.documents).where(s.documents.c.id.in_([7, 8])).values(participant_id=None)
        )
    with filled.open_store(read_only=True) as store:
        assert _compare(store) > 50


def test_every_function_that_counts_from_facts_takes_them() -> None:
    import inspect

    for name in _data.FROM_FACTS:
        assert "facts" in inspect.signature(getattr(_data, name)).parameters, name
    assert {name for name, _ in CALLS + SLOW} == set(_data.FROM_FACTS)
