"""The learned group model on a study: its inputs read from the store, the method
``auto`` resolves to, who to label next, and cross-validated agreement by author.

Authors are the unit throughout: an author's features weigh the evidence and the
first-person sentences of **all** their documents (their own text; what they quoted from
others is kept apart by the store and not read).
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from earwitness.errors import BadInputError
from earwitness.groups._assign import MANUAL, evidence_by_author, id_chunks, manual_labels
from earwitness.groups._learned import (
    METHOD,
    MIN_LABELS,
    AuthorEvidence,
    GroupModel,
    author_evidence,
    enough_labels,
)
from earwitness.groups._rules import rule_assignment
from earwitness.groups._vocabulary import GROUPS, UNKNOWN
from earwitness.store.schema import documents, participants

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = [
    "ASSIGN_METHODS",
    "SAMPLING_STRATEGIES",
    "assign_learned",
    "author_inputs",
    "cross_validated",
    "fit_study_model",
    "resolve_method",
    "sample_authors",
]

ASSIGN_METHODS = ("rules", "learned", "auto")
SAMPLING_STRATEGIES = ("uncertainty", "stratified")
POOL = 5000


def author_inputs(store: Store, ids: Sequence[int]) -> dict[int, AuthorEvidence]:
    """Each author's stored evidence and the first-person sentences of their documents."""
    with store.connect() as connection:
        evidence = evidence_by_author(connection, ids)
        texts: dict[int, list[str]] = defaultdict(list)
        for chunk in id_chunks(ids):
            for row in connection.execute(
                sa.select(documents.c.participant_id, documents.c.text)
                .where(documents.c.participant_id.in_(chunk))
                .order_by(documents.c.id)
            ):
                texts[row.participant_id].append(row.text)
    return {a: author_evidence(texts.get(a, []), evidence.get(a, [])) for a in ids}


def resolve_method(store: Store, method: str) -> str:
    """``rules`` or ``learned``: what ``auto`` means for this study now."""
    if method not in ASSIGN_METHODS:
        raise BadInputError(f"method must be one of {', '.join(ASSIGN_METHODS)}, not {method!r}")
    if method != "auto":
        return method
    return "learned" if enough_labels(list(manual_labels(store).values())) else "rules"


def fit_study_model(store: Store, **params: Any) -> GroupModel:
    """The group model fitted on every manually labelled author of the study."""
    labels = manual_labels(store)
    if not enough_labels(list(labels.values())):
        raise BadInputError(
            f"the learned group model needs at least {MIN_LABELS} authors labelled with a "
            f"group in two groups or more (have {sum(g in GROUPS for g in labels.values())}); "
            "label more with the workbench or `earwitness groups override`"
        )
    ids = sorted(labels)
    inputs = author_inputs(store, ids)
    return GroupModel(**params).fit([inputs[a] for a in ids], [labels[a] for a in ids])


def cross_validated(store: Store, *, folds: int = 5, seed: int = 0) -> list[tuple[int, str, str]]:
    """(author, people's group, the model's group) for every manually labelled author,
    each predicted by a model fitted without them (k-fold over authors, stratified by
    group where every group has enough authors)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    labels = manual_labels(store)
    ids = sorted(labels)
    y = [labels[a] for a in ids]
    if len(ids) < 2 or len(set(y)) < 2:
        raise BadInputError(
            "cross-validating the group model needs manually labelled authors in two groups"
        )
    inputs = author_inputs(store, ids)
    authors = [inputs[a] for a in ids]
    k = min(folds, len(ids))
    stratified = min(Counter(y).values()) >= k
    splitter = (StratifiedKFold if stratified else KFold)(k, shuffle=True, random_state=seed)
    predicted = [UNKNOWN] * len(ids)
    for train, held in splitter.split(authors, y):
        if len({y[i] for i in train}) < 2:
            continue  # a fold without two groups to learn from predicts nothing
        model = GroupModel(seed=seed).fit([authors[i] for i in train], [y[i] for i in train])
        for i, group in zip(held, model.predict([authors[i] for i in held]), strict=True):
            predicted[i] = group
    return [(a, h, m) for a, h, m in zip(ids, y, predicted, strict=True)]


def sample_authors(
    store: Store,
    n: int,
    *,
    strategy: str = "uncertainty",
    seed: int = 0,
    with_evidence: bool = False,
    pool: int = POOL,
) -> list[dict[str, Any]]:
    """The ``n`` authors without a manual group most worth labelling next.

    * ``uncertainty``: the model fitted on the study's labels scores every other author
      who says anything about themselves; the smallest margin between the two most
      probable groups comes first (Scheffer et al. 2001; Settles 2009, "Active Learning
      Literature Survey", §3.1), scored over a seeded random pool of at most ``pool``
      candidates so a large study is not read whole each time (random sub-pools: Ertekin
      et al. 2007, "Learning on the border"). With fewer labels than the model needs it
      falls back to ``stratified`` and says so in ``basis``.
    * ``stratified``: round-robin over the rules' group (rarest first, seeded order within
      each), so rare groups are drawn as often as common ones while they last.

    ``with_evidence`` keeps only authors with stored evidence (the workbench's queue shows
    it in context). Rows: ``pseudonym, predicted, margin, basis, evidence``.
    """
    if strategy not in SAMPLING_STRATEGIES:
        raise BadInputError(
            f"strategy must be one of {', '.join(SAMPLING_STRATEGIES)}, not {strategy!r}"
        )
    if n < 1:
        raise BadInputError("the number of authors to sample must be at least 1")
    labels = manual_labels(store)
    if strategy == "uncertainty" and enough_labels(list(labels.values())):
        return _most_uncertain(store, n, seed, with_evidence, pool)
    basis = (
        "stratified" if strategy == "stratified" else f"stratified (fewer than {MIN_LABELS} labels)"
    )
    return _stratified(store, n, seed, basis)


def _unlabelled(store: Store) -> dict[int, str]:
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(participants.c.id, participants.c.pseudonym)
            .where(participants.c.group_method != MANUAL)
            .where(participants.c.id.in_(sa.select(documents.c.participant_id)))
            .order_by(participants.c.id)
        ).all()
    return {int(row.id): str(row.pseudonym) for row in rows}


def _most_uncertain(
    store: Store, n: int, seed: int, with_evidence: bool, pool: int
) -> list[dict[str, Any]]:
    model = fit_study_model(store, seed=seed)
    names = _unlabelled(store)
    candidates = sorted(names)
    if len(candidates) > pool:
        candidates = sorted(random.Random(seed).sample(candidates, pool))
    inputs = author_inputs(store, candidates)
    ids = [
        a for a in candidates if not inputs[a].empty and (inputs[a].evidence or not with_evidence)
    ]
    authors = [inputs[a] for a in ids]
    margins = model.margins(authors)
    predicted = model.predict(authors)
    order = sorted(range(len(ids)), key=lambda i: (margins[i], ids[i]))[:n]
    return [
        {
            "pseudonym": names[ids[i]],
            "predicted": predicted[i],
            "margin": round(margins[i], 4),
            "basis": f"uncertainty ({METHOD})",
            "evidence": len(authors[i].evidence),
        }
        for i in order
    ]


def _stratified(store: Store, n: int, seed: int, basis: str) -> list[dict[str, Any]]:
    names = _unlabelled(store)
    with store.connect() as connection:
        evidence = evidence_by_author(connection)
    strata: dict[str, list[int]] = defaultdict(list)
    for author in sorted(names):
        if evidence.get(author):
            strata[rule_assignment(evidence[author])[0]].append(author)
    rng = random.Random(seed)
    for members in strata.values():
        rng.shuffle(members)
    order = sorted(strata, key=lambda g: (len(strata[g]), g))
    chosen: list[tuple[int, str]] = []
    while len(chosen) < n and any(strata.values()):
        for group in order:
            if strata[group] and len(chosen) < n:
                chosen.append((strata[group].pop(), group))
    return [
        {
            "pseudonym": names[a],
            "predicted": group,
            "margin": None,
            "basis": basis,
            "evidence": len(evidence[a]),
        }
        for a, group in chosen
    ]


def assign_learned(
    store: Store, authors: Sequence[Any], chunk_size: int
) -> Iterator[tuple[Sequence[Any], list[dict[str, Any]]]]:
    """(chunk of author rows, their assignment rows) by the model fitted on the study's
    labels: group (``unknown`` where it abstains), confidence, ``model:groups-lr-2`` and
    the rules' votes behind the features, kept for the researcher."""
    model = fit_study_model(store)
    for start in range(0, len(authors), chunk_size):
        chunk = authors[start : start + chunk_size]
        inputs = author_inputs(store, [a.id for a in chunk])
        decided = model.decide([inputs[a.id] for a in chunk])
        rows = [
            {
                "participant_id": author.id,
                "group": group,
                "confidence": confidence,
                "method": METHOD,
                "votes": json.dumps(rule_assignment(list(inputs[author.id].evidence))[3]),
            }
            for author, (group, confidence) in zip(chunk, decided, strict=True)
        ]
        yield chunk, rows
