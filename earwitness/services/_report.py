"""`earwitness services`: each service with its counts on the text and the audio side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from earwitness.services._registry import ServiceIndex, load_services
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = ["services_report"]


def services_report(store: Store, gazetteer: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Services with mention and version counts, and what matches no service.

    ``gazetteer`` is the study's ``[gazetteer]`` table, if any: its entries are checked too.
    """
    m, v = s.tool_mentions, s.song_versions
    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        mentions = connection.execute(
            sa.select(
                m.c.tool,
                sa.func.count().label("mentions"),
                sa.func.count(sa.distinct(m.c.document_id)).label("documents"),
            ).group_by(m.c.tool)
        ).all()
        versions = connection.execute(
            sa.select(
                v.c.label,
                sa.func.count().label("versions"),
                sa.func.count(sa.distinct(v.c.song_id)).label("songs"),
            )
            .where(v.c.kind == "ai")
            .group_by(v.c.label)
        ).all()
    rows = {
        x.name: {
            "service": x.name,
            "fictional": x.fictional,
            "aliases": len(x.aliases),
            "labels": ", ".join(x.labels),
            "mentions": 0,
            "documents": 0,
            "versions": 0,
            "songs": 0,
        }
        for x in index.services
    }
    unmatched_tools, unmatched_labels = [], []
    for tool, count, documents in mentions:
        service = index.of_tool(tool)
        if service is None:
            unmatched_tools.append({"tool": tool, "mentions": count, "documents": documents})
            continue
        rows[service]["mentions"] += count
        rows[service]["documents"] += documents  # a document may mention two names of one tool
    for label, count, songs in versions:
        service = index.of_label(label)
        if service is None:
            unmatched_labels.append({"label": label, "versions": count, "songs": songs})
            continue
        rows[service]["versions"] += count
        rows[service]["songs"] += songs
    for tool in gazetteer or {}:
        if index.of_tool(str(tool)) is None and all(u["tool"] != tool for u in unmatched_tools):
            unmatched_tools.append({"tool": str(tool), "mentions": 0, "documents": 0})
    return {
        "services": list(rows.values()),
        "unmatched_labels": unmatched_labels,
        "unmatched_gazetteer": unmatched_tools,
    }
