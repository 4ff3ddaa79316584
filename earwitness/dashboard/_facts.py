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

from dataclasses import dataclass
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


def _frame(result: sa.CursorResult[Any]) -> pd.DataFrame:
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _categories(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].astype("category")
    return frame


@dataclass(frozen=True, eq=False)
class Facts:
    """Documents (one row each), applied and other codings, co-coded pairs and mentions,
    each pointing at its document's row (``doc``)."""

    docs: pd.DataFrame
    codings: pd.DataFrame
    pairs: pd.DataFrame
    mentions: pd.DataFrame

    @classmethod
    def read(cls, store: Store) -> Facts:
        d, p, k, m = s.documents, s.participants, s.codings, s.tool_mentions
        with store.connect() as connection:
            docs = _frame(connection.execute(
                sa.select(d.c.id, d.c.participant_id, d.c.platform, d.c.kind, d.c.status,
                          sa.func.coalesce(p.c.user_group, "unknown").label("user_group"),
                          day_of(store, d.c.authored_at).label("day"))
                .select_from(d.outerjoin(p, d.c.participant_id == p.c.id))
                .order_by(d.c.id)
            ))  # fmt: skip
            codings = _frame(connection.execute(
                sa.select(k.c.id, k.c.document_id, k.c.segment_id, k.c.code_id, k.c.origin,
                          k.c.status)
            ))  # fmt: skip
            a, b = s.codings.alias("a"), s.codings.alias("b")
            pairs = _frame(connection.execute(
                sa.select(a.c.code_id.label("a"), b.c.code_id.label("b"), a.c.document_id)
                .select_from(a.join(b, sa.and_(
                    a.c.document_id == b.c.document_id, a.c.code_id < b.c.code_id,
                    sa.or_(a.c.segment_id == b.c.segment_id,
                           sa.and_(a.c.start < b.c.end, b.c.start < a.c.end)),
                )))
                .where(a.c.status.in_(APPLIED), b.c.status.in_(APPLIED)).distinct()
            ))  # fmt: skip
            mentions = _frame(connection.execute(
                sa.select(m.c.document_id, m.c.tool, m.c.stance)
                .where(m.c.stance.is_not(None), human_labelled(m))
            ))  # fmt: skip
        return cls.of(docs, codings, pairs, mentions)

    @classmethod
    def of(
        cls, docs: pd.DataFrame, codings: pd.DataFrame, pairs: pd.DataFrame, mentions: pd.DataFrame
    ) -> Facts:
        ids = docs["id"].to_numpy(dtype=np.int64)
        author = docs["participant_id"]
        docs = pd.DataFrame({
            "id": ids,
            "participant_id": author.astype("float64"),
            "unit": np.where(author.isna(), -ids, author.fillna(0)).astype(np.int64),
            "platform": docs["platform"], "kind": docs["kind"],
            "user_group": docs["user_group"], "active": (docs["status"] == "active").to_numpy(),
            "day": pd.to_datetime(docs["day"], format="%Y-%m-%d", errors="coerce"),
        })  # fmt: skip
        docs = _categories(docs, "platform", "kind", "user_group")

        def row_of(document_ids: pd.Series) -> npt.NDArray[np.int64]:
            return np.searchsorted(ids, document_ids.to_numpy(dtype=np.int64))

        segment = codings["segment_id"]
        coding_ids = codings["id"].to_numpy(dtype=np.int64)
        codings = pd.DataFrame({
            "doc": row_of(codings["document_id"]), "code_id": codings["code_id"],
            "segment_unit": np.where(segment.isna(), -coding_ids, segment.fillna(0))
            .astype(np.int64),
            "origin": codings["origin"], "status": codings["status"],
            "applied": codings["status"].isin(APPLIED).to_numpy(),
        })  # fmt: skip
        doc = row_of(pairs["document_id"])
        pairs = pd.DataFrame({"a": pairs["a"], "b": pairs["b"], "doc": doc})
        stance = mentions["stance"]
        mentions = pd.DataFrame({
            "doc": row_of(mentions["document_id"]), "tool": mentions["tool"],
            "positive": (stance == "positive").astype(np.int64),
            "negative": (stance == "negative").astype(np.int64),
        })  # fmt: skip
        return cls(docs, _categories(codings, "origin", "status"), pairs, mentions)

    def kept(self, f: Filters) -> npt.NDArray[np.bool_]:
        """Per document: active, and of the filters' sources, dates and user groups (as
        :func:`earwitness.dashboard._filters.document_clauses`)."""
        d = self.docs
        keep = d["active"].to_numpy().copy()
        if f.platforms:
            keep &= d["platform"].isin(f.platforms).to_numpy()
        if f.start is not None:
            keep &= (d["day"] >= pd.Timestamp(f.start)).to_numpy()
        if f.end is not None:
            keep &= (d["day"] <= pd.Timestamp(f.end)).to_numpy()
        if f.groups:
            keep &= d["user_group"].isin(f.groups).to_numpy()
        return keep

    def documents(self, f: Filters) -> pd.DataFrame:
        """Documents and distinct authors per source, kind and user group."""
        rows = self.docs[self.kept(f)]
        out = rows.groupby(["platform", "kind", "user_group"], observed=True).agg(
            documents=("id", "size"), participants=("participant_id", "nunique")
        )
        return out.reset_index().astype({"platform": str, "kind": str, "user_group": str})

    def coding_counts(self, f: Filters) -> pd.DataFrame:
        """Codings per origin and status on the filters' documents."""
        rows = self.codings[self.kept(f)[self.codings["doc"].to_numpy()]]
        out = rows.groupby(["origin", "status"], observed=True).size().rename("codings")
        return out.reset_index().astype({"origin": str, "status": str})

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
        return cells.reset_index(), totals.reset_index()

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
            keep &= mentions["tool"].isin(tools).to_numpy()
        day = self.docs["day"].to_numpy()[doc]
        if by_month:
            keep &= ~np.isnat(day)
        rows = mentions[keep].drop(columns="doc")
        doc = doc[keep]
        if by_month:
            keys = ["tool", "month"]
            rows = rows.assign(month=pd.DatetimeIndex(day[keep]).strftime("%Y-%m"))
        else:
            keys = ["tool", "unit", "user_group"]
            rows = rows.assign(
                unit=self.docs["unit"].to_numpy()[doc],
                user_group=self.docs["user_group"].to_numpy()[doc],
            )
        out = rows.groupby(keys).agg(
            positive=("positive", "sum"), negative=("negative", "sum"), n=("tool", "size")
        )
        return out.reset_index()
