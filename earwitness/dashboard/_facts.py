"""The rows every filter narrows, read once per study state and kept in memory.

A new filter value used to run the aggregates over documents, codings and mentions in SQL,
seconds each at a million documents. :meth:`Facts.read` reads what those aggregates need
once (per document: author, user group, source, kind, day; per coding, co-coded pair and
stance-bearing mention: its document and what is counted), and each filter is then a mask
and a group-by over these arrays. The dashboard keeps one ``Facts`` per study state token
(:func:`earwitness.dashboard._data.study_state`), so it is rebuilt only when the study
changes. The figures are the SQL aggregates' own (``tests/dashboard`` compares both on the
demo study): a day is the UTC calendar day of ``authored_at``, as the date filter's bounds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa

from earwitness.dashboard._filters import Filters
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = ["APPLIED", "Facts", "day_of", "human_labelled"]

APPLIED = ("applied", "accepted")


def day_of(store: Store, column: Any) -> Any:
    """The UTC calendar day of a timestamp column as ``YYYY-MM-DD`` text."""
    if store.dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.substr(column, 1, 10)


def human_labelled(m: sa.Table) -> Any:
    """Mentions that count: people's, and the machine's where no coder labelled that
    segment and tool (people's labels replace the machine's)."""
    h = s.tool_mentions.alias("h")
    labelled = sa.select(h.c.segment_id, h.c.tool).where(
        h.c.origin == "human", h.c.segment_id.is_not(None)
    )  # one lookup table, not a correlated subquery per mention
    return sa.or_(
        m.c.origin == "human",
        m.c.segment_id.is_(None),
        sa.tuple_(m.c.segment_id, m.c.tool).not_in(labelled),
    )


def _read(connection: sa.Connection, statement: Any) -> pd.DataFrame:
    """A query's rows as a frame, fetched in parts (a million rows at once would hold every
    one as a Python tuple)."""
    result = connection.execute(statement)
    columns = list(result.keys())
    parts = [  # column by column: twice as fast as a frame of rows
        pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))
        for rows in result.partitions(_PART)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


_PART = 100_000
_KEPT = 8  # filters whose document mask is kept


def _coded(values: pd.Series) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Integer codes of a column and the values they stand for, in sorted order (so codes
    sort as the values do)."""
    codes, labels = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), list(labels)


@dataclass(frozen=True, eq=False)
class Facts:
    """Documents (one row each), codings, co-coded pairs and counted mentions, each pointing
    at its document's row (``doc``); text columns as integer codes into ``labels``."""

    docs: pd.DataFrame
    codings: pd.DataFrame
    pairs: pd.DataFrame
    mentions: pd.DataFrame
    labels: dict[str, list[Any]]
    _kept: dict[tuple[Any, ...], npt.NDArray[np.bool_]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def read(cls, store: Store) -> Facts:
        d, p, k, m = s.documents, s.participants, s.codings, s.tool_mentions
        a, b = s.codings.alias("a"), s.codings.alias("b")
        with store.connect() as connection:
            docs = _read(connection,
                sa.select(d.c.id, d.c.participant_id, d.c.platform, d.c.kind, d.c.status,
                          sa.func.coalesce(p.c.user_group, "unknown").label("user_group"),
                          day_of(store, d.c.authored_at).label("day"))
                .select_from(d.outerjoin(p, d.c.participant_id == p.c.id))
                .order_by(d.c.id)
            )  # fmt: skip
            codings = _read(connection,
                sa.select(k.c.id, k.c.document_id, k.c.segment_id, k.c.code_id, k.c.origin,
                          k.c.status)
            )  # fmt: skip
            pairs = _read(connection,
                sa.select(a.c.code_id.label("a"), b.c.code_id.label("b"), a.c.document_id)
                .select_from(a.join(b, sa.and_(
                    a.c.document_id == b.c.document_id, a.c.code_id < b.c.code_id,
                    sa.or_(a.c.segment_id == b.c.segment_id,
                           sa.and_(a.c.start < b.c.end, b.c.start < a.c.end)),
                )))
                .where(a.c.status.in_(APPLIED), b.c.status.in_(APPLIED)).distinct()
            )  # fmt: skip
            mentions = _read(connection,
                sa.select(m.c.document_id, m.c.tool, m.c.stance)
                .where(m.c.stance.is_not(None), human_labelled(m))
            )  # fmt: skip
        return cls.of(docs, codings, pairs, mentions)

    @classmethod
    def of(
        cls, docs: pd.DataFrame, codings: pd.DataFrame, pairs: pd.DataFrame, mentions: pd.DataFrame
    ) -> Facts:
        labels: dict[str, list[Any]] = {}
        ids = docs["id"].to_numpy(dtype=np.int64)
        author = docs["participant_id"].astype("float64")
        day_codes, days = _coded(docs["day"])
        day_values = pd.to_datetime(pd.Series(days, dtype=object), format="%Y-%m-%d")
        day = np.append(day_values.to_numpy(dtype="datetime64[D]"), np.datetime64("NaT", "D"))
        frame = {"id": ids, "participant_id": author.to_numpy(),
                 "unit": np.where(author.isna(), -ids, author.fillna(0)).astype(np.int64),
                 "active": (docs["status"] == "active").to_numpy(dtype=bool),
                 "day": day[day_codes]}  # fmt: skip
        for column in ("platform", "kind", "user_group"):
            frame[column], labels[column] = _coded(docs[column])
        docs = pd.DataFrame(frame)

        def row_of(document_ids: pd.Series) -> npt.NDArray[np.int64]:
            return np.searchsorted(ids, document_ids.to_numpy(dtype=np.int64))

        segment = codings["segment_id"].astype("float64")
        coding_ids = codings["id"].to_numpy(dtype=np.int64)
        coded = {"doc": row_of(codings["document_id"]),
                 "code_id": codings["code_id"].to_numpy(dtype=np.int64),
                 "segment_unit": np.where(segment.isna(), -coding_ids, segment.fillna(0))
                 .astype(np.int64),
                 "applied": codings["status"].isin(APPLIED).to_numpy(dtype=bool)}  # fmt: skip
        for column in ("origin", "status"):
            coded[column], labels[column] = _coded(codings[column])
        pairs = pd.DataFrame({"a": pairs["a"].to_numpy(dtype=np.int64),
                              "b": pairs["b"].to_numpy(dtype=np.int64),
                              "doc": row_of(pairs["document_id"])})  # fmt: skip
        stance = mentions["stance"]
        tool, labels["tool"] = _coded(mentions["tool"])
        mentions = pd.DataFrame({
            "doc": row_of(mentions["document_id"]), "tool": tool,
            "positive": (stance == "positive").to_numpy(dtype=np.int64),
            "negative": (stance == "negative").to_numpy(dtype=np.int64),
        })  # fmt: skip
        return cls(docs, pd.DataFrame(coded), pairs, mentions, labels)

    def _among(
        self, codes: npt.NDArray[np.int64], column: str, values: tuple[str, ...] | list[str]
    ) -> npt.NDArray[np.bool_]:
        """Which ``codes`` of ``column`` stand for one of ``values`` (a lookup per row)."""
        table = np.array([label in values for label in self.labels[column]] + [False])
        return table[codes]

    def _named(self, frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
        for column in columns:
            frame[column] = np.array(self.labels[column], dtype=object)[frame[column]]
        return frame

    def kept(self, f: Filters) -> npt.NDArray[np.bool_]:
        """Per document: active, and of the filters' sources, dates and user groups (as
        :func:`earwitness.dashboard._filters.document_clauses`); the last few kept."""
        key = (f.platforms, f.start, f.end, f.groups)
        with self._lock:  # the server's sessions share one Facts
            found = self._kept.get(key)
        if found is None:
            found = self._keep(f)
            found.setflags(write=False)
            with self._lock:
                while len(self._kept) >= _KEPT:
                    self._kept.pop(next(iter(self._kept)))
                self._kept[key] = found
        return found

    def _keep(self, f: Filters) -> npt.NDArray[np.bool_]:
        d = self.docs
        keep = d["active"].to_numpy().copy()
        if f.platforms:
            keep &= self._among(d["platform"].to_numpy(), "platform", f.platforms)
        day = d["day"].to_numpy()
        if f.start is not None:
            keep &= day >= np.datetime64(f.start, "D")
        if f.end is not None:
            keep &= day <= np.datetime64(f.end, "D")
        if f.groups:
            keep &= self._among(d["user_group"].to_numpy(), "user_group", f.groups)
        return keep

    def documents(self, f: Filters) -> pd.DataFrame:
        """Documents and distinct authors per source, kind and user group."""
        rows = self.docs[self.kept(f)]
        out = rows.groupby(["platform", "kind", "user_group"]).agg(
            documents=("id", "size"), participants=("participant_id", "nunique")
        )
        return self._named(out.reset_index(), "platform", "kind", "user_group")

    def coding_counts(self, f: Filters) -> pd.DataFrame:
        """Codings per origin and status on the filters' documents."""
        rows = self.codings[self.kept(f)[self.codings["doc"].to_numpy()]]
        out = rows.groupby(["origin", "status"]).size().rename("codings")
        return self._named(out.reset_index(), "origin", "status")

    def code_units(self, f: Filters, unit: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Distinct participants (or segments) per applied code and user group, and per
        user group over all codes."""
        codings = self.codings[self.codings["applied"].to_numpy()]
        doc = codings["doc"].to_numpy()
        keep = self.kept(f)[doc]
        rows = pd.DataFrame({
            "code_id": codings["code_id"].to_numpy()[keep],
            "user_group": self.docs["user_group"].to_numpy()[doc[keep]],
            "unit": (self.docs["unit"].to_numpy()[doc] if unit == "participant"
                     else codings["segment_unit"].to_numpy())[keep],
        })  # fmt: skip
        cells = rows.groupby(["code_id", "user_group"])["unit"].nunique().rename("count")
        totals = rows.groupby("user_group")["unit"].nunique().rename("n")
        return (
            self._named(cells.reset_index(), "user_group"),
            self._named(totals.reset_index(), "user_group"),
        )

    def cooccurring(self, f: Filters) -> pd.DataFrame:
        """Documents per pair of codes on overlapping passages or one segment."""
        rows = self.pairs[self.kept(f)[self.pairs["doc"].to_numpy()]]
        return rows.groupby(["a", "b"])["doc"].nunique().rename("documents").reset_index()

    def stance_counts(
        self, f: Filters, tools: list[str] | None, *, by_month: bool = False
    ) -> pd.DataFrame:
        """Positive, negative and all counted mentions per tool × participant and user
        group (or × month), of the given tools (None: all)."""
        mentions = self.mentions
        doc = mentions["doc"].to_numpy()
        keep = self.kept(f)[doc]
        if tools is not None:
            keep &= self._among(mentions["tool"].to_numpy(), "tool", tools)
        day = self.docs["day"].to_numpy()[doc]
        if by_month:
            keep &= ~np.isnat(day)
        rows = mentions[keep].drop(columns="doc")
        doc = doc[keep]
        if by_month:
            keys = ["tool", "month"]
            rows = rows.assign(month=day[keep].astype("datetime64[M]"))
        else:
            keys = ["tool", "unit", "user_group"]
            rows = rows.assign(
                unit=self.docs["unit"].to_numpy()[doc],
                user_group=self.docs["user_group"].to_numpy()[doc],
            )
        out = rows.groupby(keys).agg(
            positive=("positive", "sum"), negative=("negative", "sum"), n=("tool", "size")
        )
        out = self._named(out.reset_index(), "tool", *([] if by_month else ["user_group"]))
        if by_month:
            out["month"] = out["month"].dt.strftime("%Y-%m")
        return out
