"""The user-group labelling queue: one author at a time, with their self-descriptions
highlighted in context; labels are the groups' manual overrides
(:func:`earwitness.groups.override_group`), which `groups validate` compares the rules with.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from earwitness.groups import USER_GROUPS, override_group, sample_authors
from earwitness.store import Store
from earwitness.store.schema import documents, group_evidence, participants

__all__ = ["GROUP_CONTEXT", "label_author", "next_authors", "unlabel_author"]

GROUP_CONTEXT = 160  # characters shown on each side of a self-description
_PER_AUTHOR = 8


def next_authors(
    store: Store, n: int, seed: int = 0, strategy: str = "uncertainty"
) -> list[dict[str, Any]]:
    """Up to ``n`` authors with evidence and no manual group, chosen by
    :func:`earwitness.groups.sample_authors` (the learned model's least certain once enough
    authors are labelled, else round-robin over the rules' groups, rarest first), each with
    up to eight pieces of evidence in context (the predicted group is not given)."""
    picked = sample_authors(store, n, strategy=strategy, seed=seed, with_evidence=True)
    with store.connect() as connection:
        names = dict(
            connection.execute(
                sa.select(participants.c.pseudonym, participants.c.id).where(
                    participants.c.pseudonym.in_([r["pseudonym"] for r in picked])
                )
            ).all()
        )
        chosen = [names[r["pseudonym"]] for r in picked]
        if not chosen:
            return []
        rows = connection.execute(
            sa.select(group_evidence.c.participant_id, group_evidence.c.document_id,
                      group_evidence.c.start, group_evidence.c.end, group_evidence.c.quote,
                      group_evidence.c.kind, documents.c.text)
            .outerjoin(documents, documents.c.id == group_evidence.c.document_id)
            .where(group_evidence.c.participant_id.in_(chosen))
            .order_by(group_evidence.c.id)
        ).all()  # fmt: skip
    found: dict[int, list[dict[str, Any]]] = {author: [] for author in chosen}
    for row in rows:
        if len(found[row.participant_id]) < _PER_AUTHOR:
            found[row.participant_id].append(_in_context(row))
    return [{"pseudonym": r["pseudonym"], "evidence": found[names[r["pseudonym"]]]} for r in picked]


def _in_context(row: Any) -> dict[str, Any]:
    text, start, end = row.text, row.start, row.end
    if text is None or start is None or end is None or row.kind == "flair":
        return {"kind": row.kind, "document": row.document_id, "before": "",
                "quote": row.quote, "after": ""}  # fmt: skip
    return {
        "kind": row.kind,
        "document": row.document_id,
        "before": text[max(0, start - GROUP_CONTEXT) : start],
        "quote": text[start:end],
        "after": text[end : end + GROUP_CONTEXT],
    }


def label_author(store: Store, coder: str, pseudonym: str, group: str) -> None:
    """Set the author's group by hand, noting who labelled it in the workbench."""
    if group not in USER_GROUPS:
        from earwitness.errors import BadInputError

        raise BadInputError(f"group must be one of {', '.join(USER_GROUPS)}, not {group!r}")
    override_group(store, pseudonym, group, note=f"workbench: {coder}")


def unlabel_author(store: Store, pseudonym: str) -> None:
    """Take a manual group back (the author is unassigned until `groups assign` runs)."""
    override_group(store, pseudonym, None)
