"""Every table the dashboard shows, aggregated in SQL and returned as pandas frames.

Each function takes the (read-only) store and the :class:`Filters`; pages cache the
results keyed on :func:`study_state`, so a page re-renders from memory until the study
changes. Only pseudonyms leave this module; text is returned as stored (already masked
at collection) and the pages render it escaped (as table cells, never as markdown).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from earwitness.analysis import listening
from earwitness.analysis.listening import (
    PREFERENCE_RATE_RULE,
    preference_caveats,
)
from earwitness.analysis.listening import preference_rates as listening_preference
from earwitness.dashboard._facts import APPLIED, Facts, human_labelled
from earwitness.dashboard._filters import Filters, document_clauses
from earwitness.dashboard._stats import MIN_N, bounded_mean_interval, wilson
from earwitness.groups import USER_GROUPS
from earwitness.services import ServiceIndex, load_services
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = [
    "APPLIED",
    "AUDIO_MEASURES",
    "AUDIT_COLUMNS",
    "EXPECTATION_THEMES",
    "FROM_FACTS",
    "GROUP_ORDER",
    "MASTER_METRICS",
    "QUALITY_MEASURES",
    "RATING_COLUMNS",
    "REQUEST_THEMES",
    "STANCE_COLUMNS",
    "USE_CASE_THEMES",
    "ExportTables",
    "asterisks",
    "bundle_tables",
    "code_group_matrix",
    "condition_labels",
    "cooccurrence",
    "derived_tables",
    "eq_curves",
    "export_specs",
    "filter_options",
    "filtered_ratings",
    "kept_ratings",
    "listening_ratings",
    "listening_ratings_of",
    "listening_screening",
    "listening_tests",
    "master_metrics",
    "overview",
    "preference_rates",
    "preference_rates_by_participant",
    "preset_audit",
    "quotes",
    "rank_correlations",
    "rating_summary",
    "screening_table",
    "sentiment_quality",
    "service_audio_summary",
    "services_frame",
    "session_ids",
    "simulated_areas",
    "stance_by_service_group",
    "stance_evidence",
    "stance_provenance",
    "stance_trend",
    "stated_vs_blind",
    "stereo_width_bands",
    "study_state",
    "survey_numeric",
    "survey_proportions",
    "survey_proportions_of",
    "survey_report",
    "survey_respondents",
    "survey_results",
    "tonal_balance",
    "vanka_table1",
    "vanka_table1_from",
    "vanka_table2",
    "vanka_table2_from",
]

GROUP_ORDER = USER_GROUPS
RATING_COLUMNS = (
    "test", "design", "session", "participant", "user_group", "trial", "song",
    "version_label", "service", "role", "score", "choice", "answered_at", "simulated",
    "excluded", "exclusion_rule",
)  # fmt: skip
_SIMULATED_WORDS = ("simulated", "synthetic")
# The data functions that count from in-memory ``Facts`` (``_facts``) when given them.
FROM_FACTS = frozenset({
    "overview", "code_group_matrix", "cooccurrence", "stance_by_service_group",
    "stance_trend", "sentiment_quality",
})  # fmt: skip


def _frame(result: sa.CursorResult[Any]) -> pd.DataFrame:
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _group_col(p: sa.Table) -> Any:
    return sa.func.coalesce(p.c.user_group, "unknown")


def _unit_col(d: sa.Table) -> Any:
    """The participant as unit; a document without one counts as its own author."""
    return sa.func.coalesce(d.c.participant_id, -d.c.id)


# --- state and provenance -----------------------------------------------------------------


def study_state(store: Store, db_path: Path | None = None) -> str:
    """A token that changes whenever the study's data changes (the cache key): on SQLite
    the database file's and its WAL's time and size (every commit writes one of them; the
    row counts below cost a second at a million documents on a busy machine), else the
    largest id and row count of the main tables and the server's write counters."""
    parts: list[str] = []
    if db_path is not None:
        for suffix in ("", "-wal"):
            path = db_path.with_name(db_path.name + suffix)
            if path.exists():
                stat = path.stat()
                parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
        if parts:
            return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    with store.connect() as connection:
        for table in (s.documents, s.codings, s.tool_mentions, s.participants, s.song_versions,
                      s.audio_metrics, s.survey_responses, s.listening_answers, s.services,
                      s.service_names):  # fmt: skip
            row = connection.execute(
                sa.select(sa.func.max(table.c.id), sa.func.count()).select_from(table)
            ).one()
            parts.append(f"{row[0]}:{row[1]}")
        parts.append(str(store.rows_changed(connection)))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def simulated_areas(store: Store, study_name: str = "") -> dict[str, bool]:
    """Which parts of the study hold simulated, synthetic or fictional data.

    The labels are in the data: a study named so, SIMULATED in the posts or the survey
    file, SYNTHETIC audio, services marked fictional, listening ratings marked simulated.
    An area is flagged only when the study holds some of its data.
    """
    whole = any(word in study_name.casefold() for word in _SIMULATED_WORDS)

    def any_like(column: Any, words: Sequence[str] = _SIMULATED_WORDS) -> Any:
        return sa.or_(*(sa.func.lower(column).like(f"%{w}%") for w in words))

    with store.connect() as connection:

        def exists(clause: Any) -> bool:
            return bool(connection.execute(sa.select(sa.exists().where(clause))).scalar())

        has = {
            "text": exists(s.documents.c.id.is_not(None)),
            "survey": exists(s.survey_responses.c.id.is_not(None)),
            "audio": exists(s.audio_files.c.id.is_not(None)),
        }
        labelled = {
            "text": exists(s.documents.c.text.like("%[SIMULATED]%")),
            "survey": exists(any_like(s.survey_imports.c.file_name)),
            "audio": exists(any_like(s.audio_files.c.original_name)),
        }
        fictional = any(x.fictional for x in load_services(connection))
    ratings = listening_ratings(store)
    simulated = ratings["simulated"].fillna(False).astype(bool) if len(ratings) else pd.Series()
    flags = {area: has[area] and (whole or labelled[area]) for area in has}
    flags["services"] = fictional
    flags["listening"] = bool(len(ratings)) and (whole or bool(simulated.any()))
    return flags


def filter_options(store: Store) -> dict[str, Any]:
    """The choices of each filter: platforms, dates, groups, services, songs."""
    d, p = s.documents, s.participants
    with store.connect() as connection:
        platforms = connection.execute(
            sa.select(d.c.platform).distinct().order_by(d.c.platform)
        ).scalars()
        first, last = connection.execute(
            sa.select(sa.func.min(d.c.authored_at), sa.func.max(d.c.authored_at))
        ).one()
        groups = set(connection.execute(sa.select(p.c.user_group).distinct()).scalars())
        songs = connection.execute(sa.select(s.songs.c.name).order_by(s.songs.c.name)).scalars()
        services = [x.name for x in load_services(connection)]
        return {
            "platforms": list(platforms),
            "first": first.date() if first is not None else None,
            "last": last.date() if last is not None else None,
            "groups": [g for g in GROUP_ORDER if g in groups] + sorted(groups - set(GROUP_ORDER)),
            "services": services,
            "songs": list(songs),
        }


OVERVIEW_FILTERS = (
    "Every count follows the filters it can: documents and codings by source, dates and user "
    "group; participants and survey respondents by user group; songs and versions by song and "
    "service; listening ratings by user group, service and song. Provenance and the services "
    "list are the whole study."
)


def overview(
    store: Store, f: Filters, study: dict[str, Any] | None = None, *, facts: Facts | None = None
) -> dict[str, Any]:
    """What the study holds and where it came from, as small tables, under the filters
    (:data:`OVERVIEW_FILTERS` says which apply to what); documents and codings counted from
    ``facts`` when given, else in SQL."""
    d, p, src, k = s.documents, s.participants, s.sources, s.codings
    group = _group_col(p)
    where = document_clauses(f, d, group)
    in_groups = [group.in_(f.groups)] if f.groups else []
    base = d.outerjoin(p, d.c.participant_id == p.c.id)
    with store.connect() as connection:
        sources = _frame(
            connection.execute(
                sa.select(
                    src.c.platform,
                    sa.func.count().label("fetches"),
                    sa.func.min(src.c.fetched_at).label("first_fetched"),
                    sa.func.max(src.c.fetched_at).label("last_fetched"),
                    sa.func.max(src.c.tool_version).label("tool_version"),
                ).group_by(src.c.platform)
            )
        )
        documents = facts.documents(f) if facts is not None else _frame(
            connection.execute(
                sa.select(
                    d.c.platform, d.c.kind, group.label("user_group"),
                    sa.func.count().label("documents"),
                    sa.func.count(sa.distinct(d.c.participant_id)).label("participants"),
                ).select_from(base).where(*where).group_by(d.c.platform, d.c.kind, group)
                .order_by(d.c.platform, d.c.kind, group)
            )
        )  # fmt: skip
        participants = _frame(
            connection.execute(
                sa.select(p.c.kind, group.label("user_group"),
                          sa.func.count().label("participants"))
                .where(*in_groups).group_by(p.c.kind, group)
            )
        )  # fmt: skip
        codings = facts.coding_counts(f) if facts is not None else _frame(
            connection.execute(
                sa.select(k.c.origin, k.c.status, sa.func.count().label("codings"))
                .select_from(k.join(d, k.c.document_id == d.c.id)
                             .outerjoin(p, d.c.participant_id == p.c.id))
                .where(*where).group_by(k.c.origin, k.c.status).order_by(k.c.origin, k.c.status)
            )
        )  # fmt: skip
        respondents = connection.execute(
            sa.select(sa.func.count(sa.distinct(s.survey_responses.c.participant_id)))
            .select_from(s.survey_responses.join(p, s.survey_responses.c.participant_id == p.c.id))
            .where(*in_groups)
        ).scalar_one()  # fmt: skip
        versions = _versions(connection, f)
    version_counts = (
        versions.groupby("kind").agg(versions=("version_id", "size"), songs=("song", "nunique"))
        .reset_index()
        if len(versions) else pd.DataFrame(columns=["kind", "versions", "songs"])
    )  # fmt: skip
    ratings = filtered_ratings(listening_ratings(store), f)
    listening = (
        ratings.groupby("test")
        .agg(
            sessions=("session", "nunique"),
            listeners=("participant", "nunique"),
            ratings=("trial", "size"),
            excluded_listeners=(
                "participant",
                lambda x: x[ratings.loc[x.index, "excluded"].fillna(False).astype(bool)].nunique(),
            ),
        )
        .reset_index()
        if len(ratings)
        else pd.DataFrame(
            columns=["test", "sessions", "listeners", "ratings", "excluded_listeners"]
        )
    )
    counts = {
        "documents": int(documents["documents"].sum()) if len(documents) else 0,
        "participants": int(participants["participants"].sum()) if len(participants) else 0,
        "codings": int(codings["codings"].sum()) if len(codings) else 0,
        "songs": int(versions["song"].nunique()) if len(versions) else 0,
        "ratings": len(ratings),
    }
    return {
        "counts": counts,
        "respondents": int(respondents),
        "sources": sources,
        "documents": documents,
        "participants": participants,
        "codings": codings,
        "versions": version_counts,
        "listening": listening,
        "study": dict(study or {}),
        "filters": OVERVIEW_FILTERS,
    }


def filtered_ratings(ratings: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Listening ratings under the filters: the listener's user group, and the rated
    version's service and song (rows of references and anchors, which have no service,
    stay with their trial)."""
    if ratings.empty:
        return ratings
    keep = ratings["user_group"].fillna("unknown").map(f.keeps_group).astype(bool)
    keep &= ratings["song"].isna() | ratings["song"].map(f.keeps_song).astype(bool)
    if f.services:
        keep &= ratings["service"].isna() | ratings["service"].map(f.keeps_service).astype(bool)
    return ratings[keep]


# --- voices: codes by user group ----------------------------------------------------------


def _codes(connection: sa.Connection) -> pd.DataFrame:
    c = s.codes
    parent = c.alias("parent")
    return _frame(
        connection.execute(
            sa.select(
                c.c.id.label("code_id"), c.c.name.label("code"),
                sa.func.coalesce(parent.c.name, c.c.name).label("theme"),
                sa.func.coalesce(parent.c.position, c.c.position).label("theme_position"),
                c.c.position,
            ).select_from(c.outerjoin(parent, c.c.parent_id == parent.c.id))
        )
    )  # fmt: skip


def code_group_matrix(
    store: Store, f: Filters, unit: str = "participant", *, facts: Facts | None = None
) -> pd.DataFrame:
    """Code × user group: participants (or segments) coded, N coded per group, and share
    (counted from ``facts`` when given, else in SQL)."""
    with store.connect() as connection:
        cells, totals = (
            facts.code_units(f, unit) if facts is not None else _code_units(connection, f, unit)
        )
        codes = _codes(connection)
    if cells.empty:
        return pd.DataFrame(
            columns=["theme", "code", "code_id", "user_group", "count", "n", "share"]
        )
    frame = cells.merge(codes, on="code_id").merge(totals, on="user_group")
    frame["share"] = frame["count"] / frame["n"]
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    frame["_g"] = frame["user_group"].map(lambda g: order.get(g, 99))
    frame = frame.sort_values(["theme_position", "theme", "position", "code", "_g"])
    return frame[["theme", "code", "code_id", "user_group", "count", "n", "share"]].reset_index(
        drop=True
    )


def _code_units(
    connection: sa.Connection, f: Filters, unit: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    k, d, p = s.codings, s.documents, s.participants
    group = _group_col(p)
    counted = _unit_col(d) if unit == "participant" else sa.func.coalesce(k.c.segment_id, -k.c.id)
    base = k.join(d, k.c.document_id == d.c.id).outerjoin(p, d.c.participant_id == p.c.id)
    where = [k.c.status.in_(APPLIED), *document_clauses(f, d, group)]
    cells = _frame(
        connection.execute(
            sa.select(k.c.code_id, group.label("user_group"),
                      sa.func.count(sa.distinct(counted)).label("count"))
            .select_from(base).where(*where).group_by(k.c.code_id, group)
        )
    )  # fmt: skip
    totals = _frame(
        connection.execute(
            sa.select(group.label("user_group"), sa.func.count(sa.distinct(counted)).label("n"))
            .select_from(base).where(*where).group_by(group)
        )
    )  # fmt: skip
    return cells, totals


def quotes(
    store: Store, f: Filters, code_id: int, group: str | None = None, limit: int = 200
) -> pd.DataFrame:
    """The coded passages behind one cell: pseudonym, source, date and the quote."""
    k, d, p = s.codings, s.documents, s.participants
    grp = _group_col(p)
    where = [k.c.code_id == int(code_id), k.c.status.in_(APPLIED), *document_clauses(f, d, grp)]
    if group:
        where.append(grp == group)
    quote = sa.func.substr(d.c.text, k.c.start + 1, k.c.end - k.c.start)
    with store.connect() as connection:
        return _frame(
            connection.execute(
                sa.select(
                    sa.func.coalesce(p.c.pseudonym, "(no author)").label("pseudonym"),
                    grp.label("user_group"), d.c.platform, d.c.authored_at,
                    quote.label("quote"), k.c.origin,
                )
                .select_from(k.join(d, k.c.document_id == d.c.id)
                             .outerjoin(p, d.c.participant_id == p.c.id))
                .where(*where).distinct().order_by(d.c.authored_at).limit(limit)
            )
        )  # fmt: skip


def cooccurrence(store: Store, f: Filters, *, facts: Facts | None = None) -> pd.DataFrame:
    """Pairs of codes on overlapping passages or in the same segment, in how many documents
    (counted from ``facts`` when given, else in SQL)."""
    if facts is not None:
        with store.connect() as connection:
            return _named_pairs(facts.cooccurring(f), _codes(connection))
    a, b, d, p = s.codings.alias("a"), s.codings.alias("b"), s.documents, s.participants
    grp = _group_col(p)
    base = (
        a.join(b, sa.and_(
            a.c.document_id == b.c.document_id, a.c.code_id < b.c.code_id,
            sa.or_(a.c.segment_id == b.c.segment_id,
                   sa.and_(a.c.start < b.c.end, b.c.start < a.c.end)),
        ))
        .join(d, a.c.document_id == d.c.id)
        .outerjoin(p, d.c.participant_id == p.c.id)
    )  # fmt: skip
    where = [a.c.status.in_(APPLIED), b.c.status.in_(APPLIED), *document_clauses(f, d, grp)]
    with store.connect() as connection:
        pairs = _frame(
            connection.execute(
                sa.select(a.c.code_id.label("a"), b.c.code_id.label("b"),
                          sa.func.count(sa.distinct(d.c.id)).label("documents"))
                .select_from(base).where(*where).group_by(a.c.code_id, b.c.code_id)
                .order_by(a.c.code_id, b.c.code_id)
            )
        )  # fmt: skip
        codes = _codes(connection)
    return _named_pairs(pairs, codes)


def _named_pairs(pairs: pd.DataFrame, codes: pd.DataFrame) -> pd.DataFrame:
    if pairs.empty:
        return pd.DataFrame(columns=["code_a", "code_b", "documents"])
    names = codes.set_index("code_id")["code"]
    pairs["code_a"], pairs["code_b"] = pairs["a"].map(names), pairs["b"].map(names)
    return pairs[["code_a", "code_b", "documents"]].sort_values(
        "documents", ascending=False, kind="stable"
    )


# Vanka et al. (2023), "Adoption of AI technology in the music mixing workflow: an
# investigation", CHI EA '23: Table 1 sets use cases, expectations and sentiment side by side
# per user group; Table 2 lists requested functionalities with asterisks for how often each
# came up. Here both are built from coded data with the starter codebook's themes.
USE_CASE_THEMES = ("Workflow integration", "Learning", "Genre fit", "Cost")
EXPECTATION_THEMES = (
    "Perceived quality", "Control and transparency", "Trust", "Creativity", "Fear of replacement",
)  # fmt: skip
REQUEST_THEMES = ("Requested functionality",)


def _top(frame: pd.DataFrame, themes: Sequence[str], group: str, top: int = 3) -> str:
    rows = frame[(frame["user_group"] == group) & frame["theme"].isin(themes)]
    rows = rows.sort_values(["count", "code"], ascending=[False, True]).head(top)
    return "; ".join(f"{r.code} ({r['count']}/{r.n})" for _, r in rows.iterrows())


def vanka_table1(store: Store, f: Filters) -> pd.DataFrame:
    """Per user group: top use cases, top expectations (participants/N) and net stance."""
    return vanka_table1_from(
        code_group_matrix(store, f, "participant"), stance_by_service_group(store, f)
    )


def vanka_table1_from(matrix: pd.DataFrame, stance: pd.DataFrame) -> pd.DataFrame:
    """Table 1 from the code × group matrix (per participant) and the stance table."""
    rows = []
    present = set(matrix["user_group"]) | set(stance.get("user_group", []))
    for group in [g for g in GROUP_ORDER if g in present]:
        cell = stance[stance["user_group"] == group] if len(stance) else stance
        participants = int(cell["participants"].sum()) if len(cell) else 0
        net = (
            float((cell["net_stance"] * cell["participants"]).sum() / participants)
            if participants
            else None
        )
        rows.append(
            {
                "user_group": group,
                "use_cases": _top(matrix, USE_CASE_THEMES, group),
                "expectations": _top(matrix, EXPECTATION_THEMES, group),
                "net_stance": None if net is None else round(net, 3),
                "stance_participants": participants,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["user_group", "use_cases", "expectations", "net_stance", "stance_participants"],
    )


def asterisks(share: float) -> str:
    """* under 25 % of the group's coded participants, ** 25-50 %, *** over 50 %."""
    if share <= 0:
        return ""
    return "*" if share < 0.25 else "**" if share <= 0.5 else "***"


def vanka_table2(store: Store, f: Filters) -> pd.DataFrame:
    """Requested functionalities × user group with asterisk frequencies (and the counts)."""
    return vanka_table2_from(code_group_matrix(store, f, "participant"))


def vanka_table2_from(matrix: pd.DataFrame) -> pd.DataFrame:
    """Table 2 from the code × group matrix (per participant)."""
    rows = matrix[matrix["theme"].isin(REQUEST_THEMES) & (matrix["code"] != matrix["theme"])]
    if rows.empty:
        return pd.DataFrame(columns=["functionality"])
    table = rows.pivot_table(index="code", columns="user_group", values="share", aggfunc="first")
    counts = rows.pivot_table(index="code", columns="user_group", values="count", aggfunc="first")
    out = pd.DataFrame({"functionality": table.index})
    for group in [g for g in GROUP_ORDER if g in table.columns]:
        out[group] = [
            f"{asterisks(float(sh))} ({int(n)})" if sh == sh and sh > 0 else ""
            for sh, n in zip(table[group], counts[group].fillna(0), strict=True)
        ]
    return out.reset_index(drop=True)


# --- stance -----------------------------------------------------------------------------


def _stance_rows(
    store: Store, f: Filters, *, by_month: bool = False, facts: Facts | None = None
) -> pd.DataFrame:
    """Positive, negative and all mentions per tool × participant (or × month), summed in
    SQL (or from ``facts``); human stance labels replace the machine's where coders gave
    them."""
    m, d, p = s.tool_mentions, s.documents, s.participants
    grp = _group_col(p)
    if by_month:
        keys: list[Any] = [m.c.tool, _month(store, d.c.authored_at).label("month")]
    else:
        keys = [m.c.tool, _unit_col(d).label("unit"), grp.label("user_group")]
    where = [
        m.c.stance.is_not(None),
        human_labelled(m),
        *document_clauses(f, d, grp),
    ]
    if by_month:
        where.append(d.c.authored_at.is_not(None))
    base = m.join(d, m.c.document_id == d.c.id)
    if f.groups or not by_month:
        base = base.outerjoin(p, d.c.participant_id == p.c.id)

    def count(stance: str) -> Any:
        return sa.func.sum(sa.case((m.c.stance == stance, 1), else_=0)).label(stance)

    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        tools = None
        if f.services:
            tools = [*(n for x in index.services if x.name in f.services
                       for n in (x.name, *x.aliases)), *f.services]  # fmt: skip
            where.append(m.c.tool.in_(tools))
        frame = facts.stance_counts(f, tools, by_month=by_month) if facts is not None else _frame(
            connection.execute(
                sa.select(*keys, count("positive"), count("negative"), sa.func.count().label("n"))
                .select_from(base).where(*where).group_by(*keys)
            )
        )  # fmt: skip
    if frame.empty:
        return frame.assign(service=pd.Series(dtype=str))
    services = {tool: index.of_tool(tool) or tool for tool in frame["tool"].unique()}
    frame["service"] = frame["tool"].map(services)
    return frame[frame["service"].map(f.keeps_service)]


def _month(store: Store, column: Any) -> Any:
    if store.dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.substr(column, 1, 7)


STANCE_COLUMNS = [
    "service", "user_group", "participants", "mentions", "net_stance", "net_ci_low",
    "net_ci_high", "positive_participants", "positive_share", "positive_ci_low",
    "positive_ci_high", "small_n",
]  # fmt: skip


def stance_by_service_group(
    store: Store, f: Filters, *, seed: int = 0, facts: Facts | None = None
) -> pd.DataFrame:
    """Per service × user group, the participant as unit: net stance with its 95 % interval
    (Wilson's up to SMALL_N participants, bootstrap above: ``_stats``), the share of
    participants leaning positive with a Wilson CI, and ``small_n``: fewer than MIN_N."""
    rows = _stance_rows(store, f, facts=facts)
    if rows.empty:
        return pd.DataFrame(columns=STANCE_COLUMNS)
    per = rows.groupby(["service", "user_group", "unit"], as_index=False)[
        ["positive", "negative", "n"]
    ].sum()
    per["net"] = (per["positive"] - per["negative"]) / per["n"]
    out = []
    for (service, group), cell in per.groupby(["service", "user_group"], sort=True):
        mean, low, high = bounded_mean_interval(cell["net"].to_numpy(), -1, 1, seed=seed)
        positive = int((cell["net"] > 0).sum())
        w_low, w_high = wilson(positive, len(cell))
        out.append([service, group, len(cell), int(cell["n"].sum()), mean, low, high,
                    positive, positive / len(cell), w_low, w_high,
                    len(cell) < MIN_N])  # fmt: skip
    return pd.DataFrame(out, columns=STANCE_COLUMNS)


PROVENANCE_COLUMNS = [
    "service", "units", "human_units", "compared", "kappa", "kappa_low", "kappa_high",
    "provenance",
]  # fmt: skip


def stance_provenance(store: Store) -> pd.DataFrame:
    """Per service, where its stance figures come from, by the one rule of ``stance report``
    (``earwitness.code.assist.assess_agreement``): people's labels on every unit, or the
    machine against people's majority label on this service's own units (Cohen's kappa with
    its 95 % bootstrap interval over documents; validated only when its lower bound clears
    the bar)."""
    from earwitness.code.assist import assess_agreement

    m = s.tool_mentions
    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        rows = _frame(connection.execute(
            sa.select(m.c.document_id, m.c.segment_id, m.c.tool, m.c.origin, m.c.stance)
            .where(m.c.stance.is_not(None))
        ))  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=PROVENANCE_COLUMNS)
    rows["service"] = [index.of_tool(tool) or tool for tool in rows["tool"]]
    unit = ["segment_id", "tool"]
    out = []
    for service, cell in rows.groupby("service", sort=True):
        people = cell[cell["origin"] == "human"].groupby(unit)["stance"]
        human = people.agg(lambda labels: labels.mode().iloc[0])
        machine = cell[cell["origin"] != "human"].groupby(unit)["stance"].first()
        pairs = pd.concat([human.rename("human"), machine.rename("machine")], axis=1).dropna()
        document = cell.groupby(unit)["document_id"].first().reindex(pairs.index)
        units = cell.groupby(unit).ngroups
        found = assess_agreement(
            pairs["machine"].tolist(), pairs["human"].tolist(), document.tolist(),
            all_human=len(human) == units,
        )  # fmt: skip
        out.append([service, units, len(human), len(pairs), found.kappa, found.kappa_low,
                    found.kappa_high, found.provenance])  # fmt: skip
    return pd.DataFrame(out, columns=PROVENANCE_COLUMNS)


TREND_COLUMNS = ["month", "service", "net_stance", "net_ci_low", "net_ci_high", "mentions",
                 "small_n"]  # fmt: skip


def stance_trend(store: Store, f: Filters, *, facts: Facts | None = None) -> pd.DataFrame:
    """Net stance per service and month (mentions as unit: +1, 0 or -1 each), with its N
    and 95 % interval (:func:`_stats.bounded_mean_interval`)."""
    rows = _stance_rows(store, f, by_month=True, facts=facts)
    if rows.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    out = rows.groupby(["month", "service"], as_index=False)[["positive", "negative", "n"]].sum()
    out["net_stance"] = (out["positive"] - out["negative"]) / out["n"]
    intervals = [
        bounded_mean_interval(np.repeat([1.0, -1.0, 0.0], [p, q, n - p - q]), -1, 1)[1:]
        for p, q, n in zip(out["positive"], out["negative"], out["n"], strict=True)
    ]
    out["net_ci_low"] = [low for low, _ in intervals]
    out["net_ci_high"] = [high for _, high in intervals]
    out["small_n"] = out["n"] < MIN_N
    out = out.rename(columns={"n": "mentions"})
    return out[TREND_COLUMNS].sort_values(["service", "month"])


def stance_evidence(
    store: Store, f: Filters, service: str, group: str | None = None, limit: int = 100
) -> pd.DataFrame:
    """The passages behind a service's stance: pseudonym, stance, origin and the segment."""
    m, d, p, sg = s.tool_mentions, s.documents, s.participants, s.segments
    grp = _group_col(p)
    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        tools = [t for t in connection.execute(sa.select(m.c.tool).distinct()).scalars()
                 if (index.of_tool(t) or t) == service]  # fmt: skip
        if not tools:
            return pd.DataFrame(columns=["pseudonym", "user_group", "stance", "origin", "passage"])
        where = [m.c.tool.in_(tools), m.c.stance.is_not(None), *document_clauses(f, d, grp)]
        if group:
            where.append(grp == group)
        passage = sa.func.substr(d.c.text, sg.c.start + 1, sg.c.end - sg.c.start)
        return _frame(
            connection.execute(
                sa.select(
                    sa.func.coalesce(p.c.pseudonym, "(no author)").label("pseudonym"),
                    grp.label("user_group"), m.c.tool, m.c.stance, m.c.origin, d.c.authored_at,
                    passage.label("passage"),
                )
                .select_from(m.join(d, m.c.document_id == d.c.id)
                             .join(sg, m.c.segment_id == sg.c.id)
                             .outerjoin(p, d.c.participant_id == p.c.id))
                .where(*where).order_by(m.c.id).limit(limit)
            )
        )  # fmt: skip


def services_frame(store: Store) -> pd.DataFrame:
    with store.connect() as connection:
        services = load_services(connection)
    return pd.DataFrame(
        [{"service": x.name, "fictional": x.fictional, "aliases": ", ".join(x.aliases),
          "labels": ", ".join(x.labels)} for x in services],
        columns=["service", "fictional", "aliases", "labels"],
    )  # fmt: skip


# --- listening tests (earwitness.analysis.listening) -----------------------------------------


def session_ids(store: Store) -> dict[str, str]:
    """Each listening session's link token -> the short id shown instead (the listening
    module's, as ``export ratings`` writes it): the dashboard has no login."""
    return dict(listening.session_short_ids(store))


def _without_tokens(value: Any, ids: dict[str, str]) -> Any:
    """``value`` (JSON-like) with every session token replaced by its short id."""
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        for token, short in ids.items():
            if token in value:
                value = value.replace(token, short)
        return value
    if isinstance(value, dict):
        return {key: _without_tokens(item, ids) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_tokens(item, ids) for item in value]
    return value


def listening_ratings(store: Store, test: str | None = None) -> pd.DataFrame:
    """Ratings of the study's listening tests (one row per answer), sessions named by their
    short ids (:func:`session_ids`); empty, with the columns, while the study has none."""
    frame = listening.ratings_frame(store, test)
    if not len(frame):
        return pd.DataFrame(columns=list(RATING_COLUMNS))
    ids = session_ids(store)
    frame = frame.copy()
    frame["session"] = [
        ids.get(str(token)) or listening.short_session_id(str(token)) for token in frame["session"]
    ]
    return frame


def listening_ratings_of(store: Store, f: Filters) -> pd.DataFrame:
    """:func:`listening_ratings` under the filters (:func:`filtered_ratings`)."""
    return filtered_ratings(listening_ratings(store), f)


def listening_tests(store: Store) -> list[dict[str, Any]]:
    return list(listening.list_tests(store))


def listening_screening(store: Store, test: str) -> dict[str, Any]:
    """The screening report, sessions named by their short ids."""
    report = _without_tokens(dict(listening.screening_report(store, test)), session_ids(store))
    return dict(report)


SCREENING_COLUMNS = ["session", "participant", "excluded", "rule", "flagged", "simulated"]


def screening_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per assessor: excluded or kept, by which rule, and the counts behind it."""
    assessors = pd.DataFrame(report.get("assessors") or [])
    if assessors.empty:
        return pd.DataFrame(columns=SCREENING_COLUMNS)
    for column in SCREENING_COLUMNS:
        if column not in assessors.columns:
            assessors[column] = None
    counts = [c for c in assessors.columns if c not in SCREENING_COLUMNS]
    counts = [c for c in counts if pd.api.types.is_numeric_dtype(assessors[c])]
    assessors["rule"] = assessors["rule"].map(lambda r: RULE_NAMES.get(r, r) if r else "")
    return (
        assessors[[*SCREENING_COLUMNS, *counts]]
        .sort_values(["excluded", "session"], ascending=[False, True])
        .reset_index(drop=True)
    )


RULE_NAMES = {
    "hidden_reference": "hidden reference < 90 on > 15 % of items (BS.1534-3)",
    "mid_anchor": "mid anchor > 90 on > 15 % of items (BS.1534-3)",
}
ROLE_NAMES = {
    "hidden_reference": "hidden reference",
    "reference": "reference",
    "anchor35": "anchor 3.5 kHz",
    "anchor70": "anchor 7 kHz",
}


def rating_summary(ratings: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Mean score and its 95 % interval per condition (service or role) and listener group
    (scores in [0, 100]: Wilson's interval up to SMALL_N ratings, bootstrap above)."""
    kept = kept_ratings(ratings)
    if kept.empty or kept["score"].isna().all():
        return pd.DataFrame(columns=["condition", "user_group", "n", "mean", "ci_low", "ci_high"])
    kept = kept.assign(condition=condition_labels(kept))
    rows = []
    for (condition, group), cell in kept.groupby(["condition", "user_group"]):
        scores = cell["score"].astype(float).to_numpy()
        mean, low, high = bounded_mean_interval(scores, 0, 100, seed=seed)
        rows.append([condition, group, int(cell["score"].notna().sum()), mean, low, high])
    return pd.DataFrame(rows, columns=["condition", "user_group", "n", "mean", "ci_low", "ci_high"])


def kept_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    if ratings.empty:
        return ratings
    return ratings[~ratings["excluded"].fillna(False).astype(bool)]


def condition_labels(ratings: pd.DataFrame) -> pd.Series:
    """What a chart calls each rated version: its service, else its label; the references
    and anchors by name ("anchor 7 kHz", not ``anchor70``)."""
    is_condition = ratings["role"] == "condition"
    label = ratings["service"].where(ratings["service"].notna(), ratings["version_label"])
    roles = ratings["role"].map(lambda r: ROLE_NAMES.get(r, r))
    return label.where(is_condition, roles)


def preference_rates(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per service × listener group: blind preference of the AI master over the human
    master, computed by ``listening.preference_rates`` as ``listen report`` and ``export
    ratings`` compute it (every comparison once whatever the order, ties apart)."""
    return listening_preference(ratings, ["service", "user_group"])


# --- masters ------------------------------------------------------------------------------

MASTER_METRICS = {
    "integrated_lufs": "I (LUFS)",
    "lra_lu": "LRA (LU)",
    "true_peak_dbtp": "TP (dBTP)",
    "plr_db": "PLR (dB)",
    "psr_min_db": "PSR min (dB)",
}


def _versions(connection: sa.Connection, f: Filters) -> pd.DataFrame:
    v, sg = s.song_versions, s.songs
    frame = _frame(
        connection.execute(
            sa.select(
                v.c.id.label("version_id"), v.c.file_id, sg.c.name.label("song"), v.c.kind,
                v.c.label, v.c.service,
            ).select_from(v.join(sg, v.c.song_id == sg.c.id))
            .where(*([sg.c.name.in_(f.songs)] if f.songs else []))
        )
    )  # fmt: skip
    index = ServiceIndex(load_services(connection))
    frame["service"] = [
        (index.of_label(label) or service) if kind == "ai" else None
        for kind, label, service in zip(
            frame["kind"], frame["label"], frame["service"], strict=True
        )
    ]
    keep = frame["kind"].ne("ai") | frame["service"].map(f.keeps_service)
    return frame[keep]


def master_metrics(store: Store, f: Filters) -> pd.DataFrame:
    """Per song and version: I, LRA, TP, PLR and PSR (one row per version)."""
    with store.connect() as connection:
        versions = _versions(connection, f)
        if versions.empty:
            return pd.DataFrame(columns=["song", "kind", "label", "service", *MASTER_METRICS])
        a = s.audio_metrics
        metrics = _frame(
            connection.execute(
                sa.select(a.c.file_id, a.c.name, a.c.value)
                .where(a.c.name.in_(list(MASTER_METRICS)),
                       a.c.file_id.in_(versions["file_id"].tolist()))
            )
        )  # fmt: skip
    wide = (
        metrics.pivot_table(index="file_id", columns="name", values="value", aggfunc="first")
        if len(metrics)
        else pd.DataFrame(index=pd.Index([], name="file_id"))
    )
    for name in MASTER_METRICS:
        if name not in wide.columns:
            wide[name] = np.nan
    out = versions.merge(
        wide[list(MASTER_METRICS)], left_on="file_id", right_index=True, how="left"
    )
    return out[["song", "kind", "label", "service", *MASTER_METRICS]].sort_values(["song", "label"])


def _array_metric(store: Store, f: Filters, name: str) -> pd.DataFrame:
    """One array-valued metric (bands -> dB) per version, long: song, label, band, value."""
    with store.connect() as connection:
        versions = _versions(connection, f)
        if versions.empty:
            return pd.DataFrame(columns=["song", "kind", "label", "service", "band_hz", "db"])
        a = s.audio_metrics
        rows = connection.execute(
            sa.select(a.c.file_id, a.c.data).where(
                a.c.name == name, a.c.file_id.in_(versions["file_id"].tolist())
            )
        ).all()
    # One file may be a version of several songs (the same audio registered twice): its
    # measurements then count for each of them.
    by_file: dict[Any, list[tuple[Any, ...]]] = {}
    for version in versions.itertuples(index=False):
        by_file.setdefault(version.file_id, []).append(
            (version.song, version.kind, version.label, version.service)
        )
    long = []
    for file_id, data in rows:
        if not isinstance(data, dict):
            continue
        for song, kind, label, service in by_file.get(file_id, []):
            for band, value in data.items():
                if value is not None:
                    long.append([song, kind, label, service, float(band), float(value)])
    return pd.DataFrame(long, columns=["song", "kind", "label", "service", "band_hz", "db"])


def tonal_balance(store: Store, f: Filters) -> pd.DataFrame:
    """AI − human 1/3-octave balance (each band relative to the master's total power, so
    loudness-matched): median and interquartile range across songs, per service and band."""
    bands = _array_metric(store, f, "bands_third_octave")
    columns = ["service", "band_hz", "median_db", "q1_db", "q3_db", "songs"]
    if bands.empty:
        return pd.DataFrame(columns=columns)
    human = bands[bands["kind"] == "human"].groupby(["song", "band_hz"])["db"].mean()
    ai = bands[bands["kind"] == "ai"].groupby(["service", "song", "band_hz"])["db"].mean()
    if human.empty or ai.empty:
        return pd.DataFrame(columns=columns)
    diff = ai.reset_index().join(human.rename("human"), on=["song", "band_hz"], how="inner")
    diff["delta"] = diff["db"] - diff["human"]
    out = diff.groupby(["service", "band_hz"])["delta"].agg(
        median_db="median",
        q1_db=lambda x: x.quantile(0.25),
        q3_db=lambda x: x.quantile(0.75),
        songs="count",
    )
    return out.reset_index()[columns]


def stereo_width_bands(store: Store, f: Filters) -> pd.DataFrame:
    """Side-to-mid width per 1/3-octave band, median across songs, per version kind/service."""
    bands = _array_metric(store, f, "stereo_width_bands_db")
    if bands.empty:
        return pd.DataFrame(columns=["version", "band_hz", "width_db"])
    bands["version"] = bands["service"].where(bands["kind"] == "ai", bands["kind"])
    out = bands.groupby(["version", "band_hz"])["db"].median().rename("width_db")
    return out.reset_index()


def eq_curves(store: Store, f: Filters) -> pd.DataFrame:
    """Each AI and human master's EQ curve against the mix (from `earwitness audio compare`)."""
    c, v, ref, sg = s.audio_comparisons, s.song_versions, s.song_versions.alias("ref"), s.songs
    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        rows = connection.execute(
            sa.select(sg.c.name, v.c.kind, v.c.label, c.c.result)
            .select_from(c.join(v, c.c.version_id == v.c.id)
                         .join(ref, c.c.reference_version_id == ref.c.id)
                         .join(sg, c.c.song_id == sg.c.id))
            .where(ref.c.kind == "mix", *([sg.c.name.in_(f.songs)] if f.songs else []))
        ).all()  # fmt: skip
    long = []
    for song, kind, label, result in rows:
        service = index.of_label(label) if kind == "ai" else None
        if kind == "ai" and not f.keeps_service(service):
            continue
        curve = (result or {}).get("eq_curve") or {}
        for hz, gain in zip(
            curve.get("frequencies_hz", []), curve.get("gain_db", []), strict=False
        ):
            if gain is not None:
                long.append([song, kind, label, service or kind, float(hz), float(gain)])
    return pd.DataFrame(long, columns=["song", "kind", "label", "service", "hz", "gain_db"])


def preset_audit(store: Store, f: Filters) -> pd.DataFrame:
    """Per service: how many distinct EQ curves (presets) explain its masters, and how far
    apart its masters of one song are (consistency), from the stored EQ curves."""
    from earwitness.analysis import preset_structure

    curves = eq_curves(store, f)
    curves = curves[curves["kind"] == "ai"]
    rows = []
    for service, cell in curves.groupby("service"):
        table = {
            f"{song} / {label}": group.sort_values("hz")["gain_db"].to_numpy()
            for (song, label), group in cell.groupby(["song", "label"])
        }
        lengths = {len(x) for x in table.values()}
        if len(lengths) != 1:
            continue
        structure = preset_structure(table)
        names = list(table)
        same_song = [
            structure.distances_db[i][j]
            for i in range(len(names)) for j in range(i + 1, len(names))
            if names[i].split(" / ")[0] == names[j].split(" / ")[0]
        ]  # fmt: skip
        rows.append({"service": service, "masters": structure.n_curves,
                     "distinct_curves": structure.n_distinct,
                     "threshold_db": structure.threshold_db,
                     "songs": cell["song"].nunique(),
                     "same_song_distance_db": float(np.median(same_song)) if same_song else None,
                     })  # fmt: skip
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


AUDIT_COLUMNS = [
    "service", "masters", "distinct_curves", "threshold_db", "songs", "same_song_distance_db",
]  # fmt: skip


def service_audio_summary(store: Store, f: Filters) -> pd.DataFrame:
    """Per service, across songs (medians): ΔLUFS, ΔPLR, ΔLRA against the human master and
    the RMS of the AI − human tonal balance curve."""
    metrics = master_metrics(store, f)
    columns = ["service", "songs", "delta_lufs", "delta_plr_db", "delta_lra_lu", "rms_curve_db"]
    if metrics.empty:
        return pd.DataFrame(columns=columns)
    human = metrics[metrics["kind"] == "human"].groupby("song")[list(MASTER_METRICS)].mean()
    ai = metrics[metrics["kind"] == "ai"]
    joined = ai.merge(human, left_on="song", right_index=True, suffixes=("", "_human"))
    balance = _array_metric(store, f, "bands_third_octave")
    rms: dict[Any, float] = {}
    if not balance.empty:
        h = balance[balance["kind"] == "human"].groupby(["song", "band_hz"])["db"].mean()
        a = balance[balance["kind"] == "ai"].groupby(["service", "song", "band_hz"])["db"].mean()
        if len(h) and len(a):
            d = a.reset_index().join(h.rename("human"), on=["song", "band_hz"], how="inner")
            d["sq"] = (d["db"] - d["human"]) ** 2
            per_song = np.sqrt(d.groupby(["service", "song"])["sq"].mean())
            rms = per_song.groupby("service").median().to_dict()
    rows = []
    for service, cell in joined.groupby("service"):
        rows.append({
            "service": service,
            "songs": cell["song"].nunique(),
            "delta_lufs": float((cell["integrated_lufs"] - cell["integrated_lufs_human"]).median()),
            "delta_plr_db": float((cell["plr_db"] - cell["plr_db_human"]).median()),
            "delta_lra_lu": float((cell["lra_lu"] - cell["lra_lu_human"]).median()),
            "rms_curve_db": rms.get(str(service)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# --- survey -------------------------------------------------------------------------------


def survey_report(store: Store, f: Filters) -> Any:
    """The survey report by user group (None when the study holds no single survey)."""
    from earwitness.errors import EarwitnessError
    from earwitness.survey import SurveyData, build_report, load_responses

    with store.connect() as connection:
        try:
            data = load_responses(connection)
        except EarwitnessError:
            return None
    responses = data.responses.assign(group=data.responses["group"].fillna("unknown"))
    if f.groups:
        responses = responses[responses["group"].isin(f.groups)]
    if responses.empty:
        return None
    return build_report(SurveyData(data.instrument, responses))


def survey_respondents(store: Store) -> int:
    """How many respondents the study's survey has, whatever the filters (0: no survey)."""
    with store.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count(sa.distinct(s.survey_responses.c.participant_id)))
            ).scalar_one()
        )


def survey_proportions(report: Any) -> pd.DataFrame:
    """Every answer's share per group with its Wilson 95 % interval."""
    columns = ["item", "group", "answer", "count", "n", "share", "ci_low", "ci_high"]
    if report is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for row in report.distributions:
        if "count" not in row or row.get("answer") in ("median", "(free text)"):
            continue
        count, n = int(row["count"] or 0), int(row["n"] or 0)
        low, high = wilson(count, n)
        rows.append([row["item"], row["group"], row["answer"], count, n,
                     count / n if n else None, low, high])  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def survey_numeric(store: Store) -> pd.DataFrame:
    """Numeric survey answers per respondent and item (for stated-versus-blind)."""
    r, i, p = s.survey_responses, s.survey_items, s.participants
    with store.connect() as connection:
        return _frame(
            connection.execute(
                sa.select(p.c.pseudonym.label("participant"), i.c.code.label("item"),
                          r.c.value_num)
                .select_from(r.join(i, r.c.item_id == i.c.id).join(p, r.c.participant_id == p.c.id))
                .where(r.c.value_num.is_not(None))
            )
        )  # fmt: skip


# --- sentiment × quality ------------------------------------------------------------------

QUALITY_MEASURES = {
    "preference": "blind preference over human",
    "score": "mean listening score",
}
AUDIO_MEASURES = {
    "rms_curve_db": "RMS of AI − human balance (dB)",
    "delta_lufs": "ΔLUFS (AI − human)",
    "delta_plr_db": "ΔPLR (AI − human, dB)",
    "delta_lra_lu": "ΔLRA (AI − human, LU)",
}


def sentiment_quality(
    store: Store, f: Filters, quality: str = "preference", *, facts: Facts | None = None
) -> pd.DataFrame:
    """One row per (service, user group): net stance with its CI, perceived quality with its
    CI (listeners of that group) and the service's measured audio differences."""
    stance = stance_by_service_group(store, f, facts=facts)
    ratings = filtered_ratings(listening_ratings(store), f)
    if quality == "preference":
        perceived = preference_rates(ratings).rename(
            columns={"rate": "quality", "ci_low": "quality_ci_low", "ci_high": "quality_ci_high",
                     "decided": "quality_n"}
        )  # fmt: skip
    else:
        summary = rating_summary(ratings)
        perceived = summary.rename(
            columns={"condition": "service", "mean": "quality", "ci_low": "quality_ci_low",
                     "ci_high": "quality_ci_high", "n": "quality_n"}
        )  # fmt: skip
    perceived = perceived[["service", "user_group", "quality", "quality_ci_low",
                           "quality_ci_high", "quality_n"]]  # fmt: skip
    audio = service_audio_summary(store, f)
    merged = stance.merge(perceived, on=["service", "user_group"], how="outer")
    merged = merged.merge(audio, on="service", how="left")
    services = set(services_frame(store)["service"])
    merged = merged[merged["service"].isin(services)]
    merged = merged[merged["service"].map(f.keeps_service).astype(bool)]
    merged = merged[merged["user_group"].fillna("unknown").map(f.keeps_group).astype(bool)]
    return merged.sort_values(["service", "user_group"]).reset_index(drop=True)


def rank_correlations(frame: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rho across services (all groups pooled: one point per service) between net
    stance and perceived quality and each measured difference, with bootstrap CIs."""
    from earwitness.dashboard._stats import spearman_bootstrap

    if frame.empty:
        return pd.DataFrame(columns=["measure", "rho", "ci_low", "ci_high", "n"])
    weights = frame["participants"].fillna(0)
    per_service = frame.assign(w=weights, wnet=frame["net_stance"] * weights).groupby("service")
    stance = per_service["wnet"].sum() / per_service["w"].sum().replace(0, np.nan)
    quality = frame.groupby("service")["quality"].mean()
    rows = [
        {
            "measure": "perceived quality",
            **spearman_bootstrap(stance, quality.reindex(stance.index)),
        }
    ]
    for measure in AUDIO_MEASURES:
        values = frame.groupby("service")[measure].first().reindex(stance.index)
        rows.append({"measure": measure, **spearman_bootstrap(stance, values)})
    return pd.DataFrame(rows, columns=["measure", "rho", "ci_low", "ci_high", "n"])


def stated_vs_blind(store: Store, f: Filters, item: str | None = None) -> pd.DataFrame:
    """Participants who both answered the survey and took a listening test: a stated answer
    (numeric survey item) beside their blind preference for AI masters."""
    ratings = kept_ratings(filtered_ratings(listening_ratings(store), f))
    answers = survey_numeric(store)
    columns = ["participant", "user_group", "item", "stated", "blind_preference", "trials"]
    if ratings.empty or answers.empty:
        return pd.DataFrame(columns=columns)
    prefs = preference_rates_by_participant(ratings)
    if item is not None:
        answers = answers[answers["item"] == item]
    merged = answers.rename(columns={"value_num": "stated"}).merge(prefs, on="participant")
    merged = merged[merged["user_group"].map(f.keeps_group).astype(bool)]
    return merged[columns]


def preference_note(ratings: pd.DataFrame) -> str:
    """How blind preference is counted, and the tests left out of it (and why)."""
    note = f"Blind preference over human: {PREFERENCE_RATE_RULE}."
    left_out = preference_caveats(ratings)
    if left_out:
        note += f" Left out: {', '.join(sorted(left_out))}. {next(iter(left_out.values()))}."
    return note


def preference_rates_by_participant(ratings: pd.DataFrame) -> pd.DataFrame:
    rates = listening_preference(ratings, ["participant", "user_group"])
    rates = rates[rates["decided"] > 0]
    return pd.DataFrame(
        {"participant": rates["participant"], "user_group": rates["user_group"],
         "blind_preference": rates["rate"].astype(float), "trials": rates["comparisons"]},
        columns=["participant", "user_group", "blind_preference", "trials"],
    )  # fmt: skip


# --- export -------------------------------------------------------------------------------


def export_specs(f: Filters) -> list[tuple[str, str, tuple[Any, ...]]]:
    """(table name, data function, its arguments after the store) of every exported table."""
    return [
        ("services", "services_frame", ()),
        ("codes_by_group_participants", "code_group_matrix", (f, "participant")),
        ("codes_by_group_segments", "code_group_matrix", (f, "segment")),
        ("cooccurrence", "cooccurrence", (f,)),
        ("stance_by_service_group", "stance_by_service_group", (f,)),
        ("stance_trend", "stance_trend", (f,)),
        ("survey_proportions", "survey_proportions_of", (f,)),
        ("survey_results", "survey_results", (f,)),
        ("master_metrics", "master_metrics", (f,)),
        ("tonal_balance", "tonal_balance", (f,)),
        ("eq_curves", "eq_curves", (f,)),
        ("stereo_width_bands", "stereo_width_bands", (f,)),
        ("preset_audit", "preset_audit", (f,)),
        ("service_audio_summary", "service_audio_summary", (f,)),
        ("listening_ratings", "listening_ratings_of", (f,)),
        ("sentiment_quality", "sentiment_quality", (f, "preference")),
    ]


# The exported tables computed from others (no SQL): name -> (their inputs, how).
_DERIVED: dict[str, tuple[tuple[str, ...], Any]] = {
    "vanka_table1": (("codes_by_group_participants", "stance_by_service_group"),
                     lambda matrix, stance: vanka_table1_from(matrix, stance)),
    "vanka_table2": (("codes_by_group_participants",), lambda m: vanka_table2_from(m)),
    "listening_summary": (("listening_ratings",), lambda r: rating_summary(r)),
    "preference_rates": (("listening_ratings",), lambda r: preference_rates(r)),
    "rank_correlations": (("sentiment_quality",), lambda frame: rank_correlations(frame)),
}  # fmt: skip


def derived_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The exported tables computed from others (no SQL)."""
    return {name: how(*(tables[x] for x in inputs)) for name, (inputs, how) in _DERIVED.items()}


class ExportTables(Mapping[str, pd.DataFrame]):
    """Every table the pages show, by name, each computed when first read (the Export page
    builds nothing until a download asks for it)."""

    def __init__(self, store: Store, f: Filters, *, facts: Facts | None = None) -> None:
        self.store, self.facts = store, facts
        self.specs = {name: (function, args) for name, function, args in export_specs(f)}
        self.built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.built:
            self.built[name] = self._build(name)
        return self.built[name]

    def _build(self, name: str) -> pd.DataFrame:
        if name in _DERIVED:
            inputs, how = _DERIVED[name]
            return how(*(self[x] for x in inputs))
        function, args = self.specs[name]
        extra = {"facts": self.facts} if function in FROM_FACTS and self.facts else {}
        return globals()[function](self.store, *args, **extra)

    def __iter__(self) -> Iterator[str]:
        return iter([*self.specs, *_DERIVED])

    def __len__(self) -> int:
        return len(self.specs) + len(_DERIVED)


def survey_proportions_of(store: Store, f: Filters) -> pd.DataFrame:
    return survey_proportions(survey_report(store, f))


def survey_results(store: Store, f: Filters) -> pd.DataFrame:
    report = survey_report(store, f)
    return report.results_frame() if report is not None else pd.DataFrame()


def bundle_tables(store: Store, f: Filters) -> dict[str, pd.DataFrame]:
    """Every table the pages show, by name, built now."""
    return dict(ExportTables(store, f))
