"""Reports on the coded material: frequencies, requested functionalities, matrices, segments.

Counting rules, the same in every report:

* A coded segment is a distinct (document, start, end) span carrying the code; two
  coders coding the same span count once. Human codings and accepted machine
  suggestions count; proposals and rejections do not.
* Participants are the distinct authors (pseudonyms) of the documents with the code.
* Source type is the platform a document came from (reddit, a forum, interview,
  survey...).

The requested-functionalities table follows the layout of the adoption literature: one
row per requested function with one to five asterisks for how often it was requested.
Binning: ``stars = ceil(5 * n / n_max)``, where ``n`` is the number of distinct
participants who requested the function and ``n_max`` that of the most requested one,
so the most requested function has ``*****`` and every requested one at least ``*``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._codebook import CodeIndex
from earwitness.code._coding import VISIBLE_STATUSES, retrieve_segments
from earwitness.code._segment import UNIT_KINDS
from earwitness.errors import BadInputError
from earwitness.groups import USER_GROUPS
from earwitness.store.schema import coders, codings, documents, participants, segments

__all__ = [
    "REPORT_KINDS",
    "code_report",
    "cooccurrence",
    "document_matrix",
    "frequencies",
    "requested_functionalities",
    "segment_report",
    "stars",
]

REPORT_KINDS = ("frequencies", "functionalities", "cooccurrence", "matrix", "segments")
FUNCTIONALITY_THEME = "Requested functionality"


def _coded(connection: Connection, coder: str | None = None) -> pd.DataFrame:
    query = (
        sa.select(
            codings.c.code_id,
            codings.c.document_id,
            codings.c.start,
            codings.c.end,
            documents.c.platform,
            documents.c.native_id,
            documents.c.participant_id,
            participants.c.pseudonym,
            participants.c.user_group,
        )
        .join(documents, documents.c.id == codings.c.document_id)
        .outerjoin(participants, participants.c.id == documents.c.participant_id)
        .where(codings.c.status.in_(VISIBLE_STATUSES))
    )
    if coder is not None:
        query = query.join(coders, coders.c.id == codings.c.coder_id).where(coders.c.name == coder)
    frame = pd.DataFrame(
        connection.execute(query).all(),
        columns=["code_id", "document_id", "start", "end", "platform", "native_id",
                 "participant_id", "pseudonym", "user_group"],
    )  # fmt: skip
    frame["user_group"] = frame["user_group"].fillna("unknown")
    return frame.drop_duplicates(["code_id", "document_id", "start", "end"])


def frequencies(
    connection: Connection, *, by: str = "group", coder: str | None = None
) -> pd.DataFrame:
    """Coded segments and distinct participants per code, overall and per group or source."""
    if by not in ("group", "source"):
        raise BadInputError("frequencies are by 'group' (user group) or 'source' (platform)")
    paths = CodeIndex(connection).paths()
    coded = _coded(connection, coder)
    column = "user_group" if by == "group" else "platform"
    levels = list(USER_GROUPS) if by == "group" else sorted(coded[column].unique())
    rows = []
    for code_id, path in paths.items():
        part = coded[coded["code_id"] == code_id]
        row: dict[str, Any] = {
            "code": path,
            "segments": len(part),
            "participants": part["participant_id"].nunique(),
        }
        for level in levels:
            subset = part[part[column] == level]
            row[f"{level} segments"] = len(subset)
            row[f"{level} participants"] = subset["participant_id"].nunique()
        rows.append(row)
    return pd.DataFrame(rows, columns=_columns(levels))


def _columns(levels: list[str]) -> list[str]:
    names = ["code", "segments", "participants"]
    for level in levels:
        names += [f"{level} segments", f"{level} participants"]
    return names


def stars(count: int, most: int) -> str:
    """One to five asterisks for ``count`` out of the largest count ``most``."""
    if count <= 0 or most <= 0:
        return ""
    return "*" * max(1, min(5, math.ceil(5 * count / most)))


def requested_functionalities(
    connection: Connection, *, theme: str = FUNCTIONALITY_THEME, coder: str | None = None
) -> pd.DataFrame:
    """The codes under ``theme``, ranked by how many participants requested each."""
    index = CodeIndex(connection)
    try:
        theme_id = index.resolve(theme)
    except BadInputError:
        raise BadInputError(
            f"no theme {theme!r} in the codebook; name the theme of requested functions "
            "with --theme"
        ) from None
    paths = index.paths()
    prefix = paths[theme_id] + "/"
    wanted = {code_id: path for code_id, path in paths.items() if path.startswith(prefix)}
    coded = _coded(connection, coder)
    rows = []
    for code_id, path in wanted.items():
        part = coded[coded["code_id"] == code_id]
        row: dict[str, Any] = {
            "functionality": path[len(prefix) :],
            "participants": part["participant_id"].nunique(),
            "segments": len(part),
        }
        for group in USER_GROUPS:
            row[group] = part.loc[part["user_group"] == group, "participant_id"].nunique()
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["functionality", "participants", "segments", *USER_GROUPS])
    most = int(frame["participants"].max()) if len(frame) else 0
    frame.insert(1, "frequency", [stars(int(n), most) for n in frame["participants"]])
    return frame.sort_values(["participants", "segments", "functionality"],
                             ascending=[False, False, True]).reset_index(drop=True)  # fmt: skip


def cooccurrence(
    connection: Connection, *, unit: str = "document", coder: str | None = None
) -> pd.DataFrame:
    """Code x code counts of units carrying both codes; the diagonal counts each code's units.

    ``unit="document"`` counts documents; ``unit="segment"`` counts the smallest
    segments (turns, posts, sentences) that a coding of each code overlaps.
    """
    paths = CodeIndex(connection).paths()
    coded = _coded(connection, coder)
    if unit == "document":
        pairs = coded[["code_id", "document_id"]].drop_duplicates()
        pairs = pairs.rename(columns={"document_id": "unit"})
    elif unit == "segment":
        pairs = _segment_units(connection, coded)
    else:
        raise BadInputError("co-occurrence is counted by 'document' or by 'segment'")
    codes = [code_id for code_id in paths if code_id in set(pairs["code_id"])]
    table = pd.crosstab(pairs["unit"], pairs["code_id"]).reindex(columns=codes, fill_value=0)
    matrix = table.T @ table
    names = [paths[int(c)] for c in codes]
    matrix.index = pd.Index(names)
    matrix.columns = pd.Index(names)
    return matrix.rename_axis("code").reset_index()


def _segment_units(connection: Connection, coded: pd.DataFrame) -> pd.DataFrame:
    units = pd.DataFrame(
        connection.execute(
            sa.select(segments.c.id, segments.c.document_id, segments.c.start, segments.c.end)
            .where(segments.c.kind.in_(UNIT_KINDS))
        ).all(),
        columns=["unit", "document_id", "unit_start", "unit_end"],
    )  # fmt: skip
    if units.empty and not coded.empty:
        raise BadInputError("no segments yet: run `earwitness code segment` first")
    merged = coded.merge(units, on="document_id")
    overlapping = merged[
        (merged["start"] < merged["unit_end"]) & (merged["end"] > merged["unit_start"])
    ]
    return overlapping[["code_id", "unit"]].drop_duplicates()


def document_matrix(connection: Connection, *, coder: str | None = None) -> pd.DataFrame:
    """Code x document counts of coded segments; documents named platform:native_id."""
    paths = CodeIndex(connection).paths()
    coded = _coded(connection, coder)
    coded["document"] = coded["platform"] + ":" + coded["native_id"]
    table = pd.crosstab(coded["code_id"], coded["document"])
    table = table.reindex([c for c in paths if c in table.index], fill_value=0)
    table.index = [paths[c] for c in table.index]
    table.columns.name = None
    return table.rename_axis("code").reset_index()


def segment_report(
    connection: Connection, code: str, *, coder: str | None = None
) -> list[dict[str, Any]]:
    """The coded segments of ``code`` and the codes below it, attributed by pseudonym."""
    rows = retrieve_segments(connection, code, include_children=True, coder=coder)
    seen: set[tuple[str, int, int, int]] = set()
    report = []
    for row in rows:
        key = (row["code"], row["document_id"], row["start"], row["end"])
        if key in seen:
            continue
        seen.add(key)
        report.append(
            {
                "pseudonym": row["pseudonym"] or "(unknown)",
                "user_group": row["user_group"],
                "source": row["platform"],
                "code": row["code"],
                "text": row["text"],
            }
        )
    return report


def code_report(
    connection: Connection,
    kind: str,
    *,
    code: str | None = None,
    by: str = "group",
    unit: str = "document",
    theme: str = FUNCTIONALITY_THEME,
    coder: str | None = None,
) -> pd.DataFrame | list[dict[str, Any]]:
    """One of :data:`REPORT_KINDS`."""
    if kind == "frequencies":
        return frequencies(connection, by=by, coder=coder)
    if kind == "functionalities":
        return requested_functionalities(connection, theme=theme, coder=coder)
    if kind == "cooccurrence":
        return cooccurrence(connection, unit=unit, coder=coder)
    if kind == "matrix":
        return document_matrix(connection, coder=coder)
    if kind == "segments":
        if not code:
            raise BadInputError("the segments report needs --code CODE")
        return segment_report(connection, code, coder=coder)
    raise BadInputError(f"unknown report {kind!r}; choose one of: {', '.join(REPORT_KINDS)}")
