"""Stance toward AI mixing and mastering tools: mentions, stance per segment × tool, aggregates.

* **Mentions** come from a gazetteer of tools with aliases and common misspellings. The
  study can edit it in ``earwitness.toml`` under ``[gazetteer]``: each key is a tool's
  canonical name and its value the list of aliases; an entry replaces the built-in one of
  the same name, and an empty list removes the tool.
* **Stance** (positive, negative, mixed, neutral) is given per segment × tool. The default
  is the target-centred rule scorer of ``_target_stance`` (scope, negation, contrast,
  comparison, questions and promotional text as neutral, mixed). Once human coders have
  labelled enough units, a logistic regression on target-marked embeddings plus the rule
  features takes over (``_stance_learn``). VADER on the whole segment (Hutto & Gilbert
  2014: compound >= 0.05 positive, <= -0.05 negative; "mixed" when both shares reach 0.1)
  stays as a baseline to compare with.
* **Provenance.** Every aggregate says where its stances come from: human labels, a
  machine validated against people (Cohen's kappa and n, beside human–human alpha), or
  a machine nobody has checked.
* **Aggregates** per tool × user group give counts and shares with 95 % percentile
  bootstrap intervals (Efron & Tibshirani 1993), resampling authors rather than segments
  because one author's segments are not independent (cluster bootstrap, Field & Welsh 2007).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold

from earwitness.code.assist._data import SegmentText, load_segments
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._provenance import (
    MIN_LOWER_BOUND,
    assess_agreement,
    curve_labels_needed,
    provenance,
)
from earwitness.code.assist._stance_learn import (
    StanceUnitText,
    learning_curve,
    marked_window,
    rule_features,
    unit_rule_stance,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID, TargetStance
from earwitness.code.reliability import krippendorff_alpha
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.services import DEFAULT_EXCLUDES as SERVICE_EXCLUDES
from earwitness.services import DEFAULT_SERVICES, ServiceIndex
from earwitness.store import ensure_coder
from earwitness.store.schema import (
    documents,
    participants,
    segments,
    stance_resolutions,
    tool_mentions,
)

if TYPE_CHECKING:
    from earwitness.partitions import Scheduler
    from earwitness.store import Store

__all__ = [
    "DEFAULT_EXCLUDES",
    "DEFAULT_GAZETTEER",
    "STANCES",
    "STANCE_METHODS",
    "Gazetteer",
    "StanceClassifier",
    "detect_stance",
    "evaluate_stance",
    "find_mentions",
    "import_stance_labels",
    "label_stance",
    "require_segments",
    "rules_stance",
    "sample_for_labelling",
    "stance_aggregates",
    "stance_learning_curve",
    "stance_provenance",
    "vader_stance",
]

STANCES = ("positive", "negative", "mixed", "neutral")
STANCE_METHODS = ("auto", "rules", "classifier", "fewshot", "vader")
LEARNED_METHODS = ("classifier", "fewshot")
CURVE_GROUPS = ("document", "source")
CLASSIFIER_ID = "target-logreg"
MIN_STANCE_EXAMPLES = 20
FEWSHOT_FOLDS = 3
_MIXED_SHARE = 0.1

# The built-in tools live in earwitness.services (one identity per service).
DEFAULT_GAZETTEER: dict[str, list[str]] = DEFAULT_SERVICES
# Context rules against same-named things live with the services too.
DEFAULT_EXCLUDES: dict[str, list[str]] = SERVICE_EXCLUDES


def _vader_version() -> str:
    try:
        return f"vader-{version('vaderSentiment')}"
    except PackageNotFoundError:  # pragma: no cover
        return "vader"


class Gazetteer:
    """Finds tool mentions by alias, case-insensitive, at word boundaries, longest first.

    ``excludes``: per tool, regular expressions on the text around a match (60 characters
    either side) that mark the match as some other thing of the same name (a software
    project called ``landr``, the Neutron music player).
    """

    def __init__(
        self,
        entries: Mapping[str, Sequence[str]] | None = None,
        excludes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.entries = {
            tool: list(aliases) for tool, aliases in (entries or DEFAULT_GAZETTEER).items()
        }
        chosen = DEFAULT_EXCLUDES if excludes is None else excludes
        self.excludes = {
            tool: [re.compile(p, re.IGNORECASE) for p in patterns]
            for tool, patterns in chosen.items()
            if tool in self.entries
        }
        self._tool_of: dict[str, str] = {}
        for tool, aliases in self.entries.items():
            for alias in [tool, *aliases]:
                self._tool_of.setdefault(_norm(alias), tool)
        ordered = sorted(self._tool_of, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, alias.split())) for alias in ordered)
        self._pattern = (
            re.compile(rf"(?<!{_LATIN_WORD})(?:{body})(?!{_LATIN_WORD})", re.IGNORECASE)
            if body
            else None
        )

    @classmethod
    def from_study(
        cls, store: Store, table: Any = None, *, file: str = "earwitness.toml"
    ) -> Gazetteer:
        """The study's services (``earwitness services``), edited by a ``[gazetteer]`` table."""
        return cls.from_settings(table, file=file, base=ServiceIndex.load(store).gazetteer())

    @classmethod
    def from_settings(
        cls,
        table: Any,
        *,
        file: str = "earwitness.toml",
        base: Mapping[str, Sequence[str]] | None = None,
    ) -> Gazetteer:
        """The built-in gazetteer (or ``base``) edited by the study's ``[gazetteer]`` table."""
        source = DEFAULT_GAZETTEER if base is None else base
        entries = {tool: list(aliases) for tool, aliases in source.items()}
        if table is None:
            return cls(entries)
        if not isinstance(table, Mapping):
            raise BadInputError("[gazetteer] must be a table of tool = [aliases]", file=file)
        for tool, aliases in table.items():
            if not isinstance(aliases, list) or not all(
                isinstance(a, str) and a.strip() for a in aliases
            ):
                raise BadInputError(
                    "must be a list of non-empty alias strings",
                    file=file,
                    field=f"gazetteer.{tool}",
                )
            if aliases:
                entries[str(tool)] = aliases
            else:
                entries.pop(str(tool), None)
        return cls(entries)

    def find(self, text: str) -> list[tuple[str, str, int, int]]:
        """(tool, matched text, start, end) for each mention in ``text``."""
        if self._pattern is None:
            return []
        found = []
        for m in self._pattern.finditer(text):
            tool = self._tool_of[_norm(m.group(0))]
            window = text[max(0, m.start() - 60) : m.end() + 60]
            if any(p.search(window) for p in self.excludes.get(tool, ())):
                continue
            found.append((tool, m.group(0), m.start(), m.end()))
        return found


# A name ends where the Latin-script word ends: at a space or punctuation ("/" included:
# "LANDR/eMastered" is two names) and at a change of script, since Chinese, Japanese and
# Korean text runs words together ("Logic ProでMastering Assistantを使う").
_LATIN_WORD = r"[0-9A-Za-z_\u00C0-\u024F]"


def _norm(alias: str) -> str:
    return " ".join(alias.casefold().split())


def find_mentions(
    store: Store,
    gazetteer: Gazetteer,
    *,
    kinds: Sequence[str] | None = None,
    scheduler: Scheduler | None = None,
) -> int:
    """Replace the machine-found mentions in every segment; human stance labels stay.

    Runs in partitions of documents (``_stance_run``); ``code stance detect`` finds the
    mentions and their stance in one pass.
    """
    from earwitness.code.assist._stance_run import run_mentions

    return int(run_mentions(store, gazetteer, kinds=kinds, scheduler=scheduler)["mentions"])


# --- stance models ---------------------------------------------------------------------


def vader_stance(texts: Sequence[str]) -> list[tuple[str, float]]:
    """(stance, compound score) for each text by VADER (Hutto & Gilbert 2014)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    found = []
    for text in texts:
        scores = analyzer.polarity_scores(text)
        compound = float(scores["compound"])
        if scores["pos"] >= _MIXED_SHARE and scores["neg"] >= _MIXED_SHARE:
            stance = "mixed"
        elif compound >= 0.05:
            stance = "positive"
        elif compound <= -0.05:
            stance = "negative"
        else:
            stance = "neutral"
        found.append((stance, compound))
    return found


class StanceClassifier(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression on segment embeddings, trained on human stance labels."""

    def __init__(self, C: float = 1.0, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, X: npt.ArrayLike, y: Sequence[str]) -> StanceClassifier:
        labels = np.asarray(y)
        if len(set(labels.tolist())) < 2:
            raise ValueError("a stance classifier needs at least two different stances")
        self.model_ = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=2000, random_state=self.random_state
        ).fit(np.asarray(X), labels)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return np.asarray(self.model_.predict_proba(np.asarray(X)), dtype=np.float64)

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[Any]:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


@dataclass(frozen=True)
class StanceUnit:
    """One segment × tool: the segment, the tool, and the mention spans in the segment."""

    segment: SegmentText
    tool: str
    spans: tuple[tuple[int, int], ...] = ()
    others: tuple[tuple[int, int], ...] = ()
    mention_ids: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[int, str]:
        return (self.segment.id, self.tool)

    def as_text(self) -> StanceUnitText:
        return StanceUnitText(self.segment.text, self.spans, self.others)


Human = dict[tuple[int, str], dict[int, str]]
RESOLVED = 0  # key of an adjudicator's resolution among a unit's labels (coder ids are > 0)


def _units(store: Store) -> tuple[list[StanceUnit], Human]:
    """Segment × tool units with a mention, and human labels {(segment, tool): {coder: stance}}."""
    with store.connect() as connection:
        mentions = connection.execute(
            sa.select(
                tool_mentions.c.id,
                tool_mentions.c.segment_id,
                tool_mentions.c.tool,
                tool_mentions.c.origin,
                tool_mentions.c.coder_id,
                tool_mentions.c.stance,
                tool_mentions.c.start,
                tool_mentions.c.end,
            ).where(tool_mentions.c.segment_id.is_not(None))
        ).all()
        resolutions = connection.execute(
            sa.select(stance_resolutions.c.segment_id, stance_resolutions.c.tool,
                      stance_resolutions.c.stance)
        ).all()  # fmt: skip
        ids = {row.segment_id for row in mentions}
        by_id = {s.id: s for s in load_segments(connection, segment_ids=ids)} if ids else {}
    spans: dict[int, dict[str, set[tuple[int, int]]]] = defaultdict(lambda: defaultdict(set))
    ids_of: dict[tuple[int, str], list[int]] = defaultdict(list)
    human: Human = defaultdict(dict)
    for row in mentions:
        segment = by_id.get(row.segment_id)
        if segment is None:
            continue
        if row.origin == "model":
            spans[segment.id][row.tool].add((row.start - segment.start, row.end - segment.start))
            ids_of[(segment.id, row.tool)].append(row.id)
        elif row.origin == "human" and row.stance in STANCES:
            human[(row.segment_id, row.tool)][row.coder_id or -1] = row.stance
    for resolved in resolutions:
        if (resolved.segment_id, resolved.tool) in human:
            human[(resolved.segment_id, resolved.tool)][RESOLVED] = resolved.stance
    units = []
    for segment_id in sorted(spans):
        for tool in sorted(spans[segment_id]):
            others = {s for t, found in spans[segment_id].items() if t != tool for s in found}
            units.append(
                StanceUnit(
                    by_id[segment_id],
                    tool,
                    tuple(sorted(spans[segment_id][tool])),
                    tuple(sorted(others)),
                    tuple(sorted(ids_of[(segment_id, tool)])),
                )
            )
    keys = {u.key for u in units}
    return units, {k: v for k, v in human.items() if k in keys}


def _majority(labels: dict[int, str]) -> str:
    """The unit's human stance: an adjudicator's resolution, else the most given label."""
    if RESOLVED in labels:
        return labels[RESOLVED]
    counts = Counter(labels.values()).most_common()
    return counts[0][0]


def rules_stance(units: Sequence[StanceUnit]) -> list[tuple[str, float]]:
    """The target-centred rule scorer's stance for each unit."""
    model = TargetStance()
    return [unit_rule_stance(unit.as_text(), model) for unit in units]


def _features(units: Sequence[StanceUnit], embedder: Embedder) -> npt.NDArray[np.float64]:
    texts = [unit.as_text() for unit in units]
    vectors = np.asarray(embedder.embed([marked_window(t) for t in texts]), dtype=np.float64)
    return np.hstack([vectors, rule_features(texts)])


def _fit(X: npt.NDArray[np.float64], y: list[str]) -> StanceClassifier:
    return StanceClassifier().fit(X, y)


Fit = Callable[[Any, list[str]], Any]


@dataclass(frozen=True)
class Learner:
    """A learned stance method's inputs for some units, how to fit it, and its model id."""

    inputs: npt.NDArray[Any]
    fit: Fit
    model_id: str
    folds: int


def _learner(
    method: str, units: Sequence[StanceUnit], embedder: Embedder, fewshot: Any = None
) -> Learner:
    """``classifier``: frozen target-marked embeddings + rule features, logistic regression;
    ``fewshot``: the encoder fine-tuned on contrastive pairs first (SetFit), fewer folds
    because each fit trains the encoder. ``fewshot`` is an unfitted ``FewShotStance``
    whose settings every fit copies (by default the study's encoder and the defaults)."""
    if method == "fewshot":
        from sklearn.base import clone

        from earwitness.code.assist._stance_fewshot import FEWSHOT_ID, FewShotStance

        inputs = np.empty(len(units), dtype=object)
        inputs[:] = [unit.as_text() for unit in units]
        template = fewshot if fewshot is not None else FewShotStance()
        if template.model is None:
            template = clone(template).set_params(model=embedder.model)

        def fit(X: Any, y: list[str]) -> Any:
            return clone(template).fit(X, y)

        return Learner(inputs, fit, f"{embedder.model_id}+{FEWSHOT_ID}", FEWSHOT_FOLDS)
    return Learner(_features(units, embedder), _fit, f"{embedder.model_id}+{CLASSIFIER_ID}", 5)


def _cross_fitted(
    features: npt.NDArray[Any],
    labels: list[str],
    groups: list[int],
    *,
    folds: int = 5,
    seed: int = 0,
    fit: Fit = _fit,
) -> list[str | None]:
    """Held-out predictions for labelled units (grouped by document)."""
    held_out: list[str | None] = [None] * len(labels)
    n_folds = min(folds, len(set(groups)))
    if n_folds < 2:
        return held_out
    splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(features, groups=groups):
        if len({labels[i] for i in train}) < 2:
            continue
        model = fit(features[train], [labels[i] for i in train])
        for i, stance in zip(test, model.predict(features[test]), strict=True):
            held_out[i] = str(stance)
    return held_out


def require_segments(store: Store) -> None:
    """Refuse to look for mentions in a study with no segments, naming the fix."""
    with store.connect() as connection:
        has = connection.execute(sa.select(segments.c.id).limit(1)).first()
    if has is None:
        raise BadInputError(
            "the study has no segments yet: run `earwitness code segment` first, "
            "then `earwitness code stance detect`"
        )


def detect_stance(
    store: Store,
    embedder: Embedder | None = None,
    *,
    min_examples: int = MIN_STANCE_EXAMPLES,
    method: str = "auto",
    fewshot: Any = None,
) -> dict[str, Any]:
    """Give every machine-found mention a stance.

    ``method``: ``rules`` (the target-centred scorer), ``vader``, ``classifier`` or
    ``fewshot`` (both need human labels) or ``auto`` (the classifier once
    ``min_examples`` units are labelled with two stances or more, else the rules). A
    labelled unit gets the learned model's held-out (cross-fitted) prediction, so its
    agreement with people is not in-sample. ``fewshot``: an unfitted ``FewShotStance``
    whose settings the ``fewshot`` method uses (its defaults otherwise).
    """
    if method not in STANCE_METHODS:
        raise BadInputError(f"stance method must be one of {', '.join(STANCE_METHODS)}")
    units, human = _units(store)
    if not units:
        return {"units": 0, "method": "none"}
    labelled = [i for i, unit in enumerate(units) if unit.key in human]
    y = [_majority(human[units[i].key]) for i in labelled]
    trainable = len(labelled) >= min_examples and len(set(y)) >= 2
    if method in LEARNED_METHODS and not trainable:
        raise EarwitnessError(
            f"the {method} method needs {min_examples} human-labelled units with two stances "
            f"or more; {len(labelled)} are labelled"
        )
    if method in LEARNED_METHODS or (method == "auto" and trainable):
        learner = _learner(
            "classifier" if method == "auto" else method,
            units,
            embedder or Embedder(store),
            fewshot,
        )
        stances, scores = _learned_stances(learner, units, labelled, y)
        model_id = learner.model_id
    elif method == "vader":
        found = vader_stance([unit.segment.text for unit in units])
        stances, scores = [s for s, _ in found], [c for _, c in found]
        model_id = _vader_version()
    else:
        found = rules_stance(units)
        stances, scores = [s for s, _ in found], [c for _, c in found]
        model_id = RULES_MODEL_ID
    _store_stances(store, units, stances, scores, model_id)
    return {"units": len(units), "method": model_id, "human_labelled": len(labelled)}


def _learned_stances(
    learner: Learner, units: Sequence[StanceUnit], labelled: list[int], y: list[str]
) -> tuple[list[str], list[float]]:
    """The learned model's stance and probability for every unit; labelled units get
    their held-out (cross-fitted by document) prediction instead."""
    model = learner.fit(learner.inputs[labelled], y)
    probabilities = model.predict_proba(learner.inputs)
    stances = [str(s) for s in model.classes_[probabilities.argmax(axis=1)]]
    scores = probabilities.max(axis=1).tolist()
    groups = [units[i].segment.document_id for i in labelled]
    held = _cross_fitted(learner.inputs[labelled], y, groups, folds=learner.folds, fit=learner.fit)
    for i, stance in zip(labelled, held, strict=True):
        if stance is not None:
            stances[i] = stance
    return stances, scores


def _store_stances(
    store: Store,
    units: Sequence[StanceUnit],
    stances: Sequence[str],
    scores: Sequence[float],
    model_id: str,
) -> None:
    """Every mention of a unit takes the unit's stance: one UPDATE by primary key per
    mention (by segment and tool, unindexed, it took 37 min for 123,000 units)."""
    updates = [
        {
            "b_id": mention_id,
            "b_stance": stance,
            "b_score": round(float(score), 6),
            "b_model": model_id,
        }
        for unit, stance, score in zip(units, stances, scores, strict=True)
        for mention_id in unit.mention_ids
    ]
    if not updates:
        return
    with store.transaction() as connection:
        connection.execute(
            tool_mentions.update()
            .where(tool_mentions.c.id == sa.bindparam("b_id"))
            .values(
                stance=sa.bindparam("b_stance"),
                score=sa.bindparam("b_score"),
                model_id=sa.bindparam("b_model"),
            ),
            updates,
        )


def label_stance(store: Store, segment_id: int, tool: str, stance: str, coder: str) -> None:
    """Record ``coder``'s stance for ``tool`` in a segment (replacing their earlier label)."""
    with store.transaction() as connection:
        _label(connection, segment_id, tool, stance, coder)


def _label(connection: sa.Connection, segment_id: int, tool: str, stance: str, coder: str) -> None:
    if stance not in STANCES:
        raise EarwitnessError(f"stance must be one of {', '.join(STANCES)}, not {stance!r}")
    found = connection.execute(
        sa.select(tool_mentions).where(
            tool_mentions.c.segment_id == segment_id,
            tool_mentions.c.tool == tool,
            tool_mentions.c.origin == "model",
        )
    ).all()
    if not found:
        raise EarwitnessError(
            f"segment {segment_id} has no mention of {tool!r}; "
            "run `earwitness code stance detect` first"
        )
    coder_id = ensure_coder(connection, coder)
    connection.execute(
        tool_mentions.delete().where(
            tool_mentions.c.segment_id == segment_id,
            tool_mentions.c.tool == tool,
            tool_mentions.c.origin == "human",
            tool_mentions.c.coder_id == coder_id,
        )
    )
    connection.execute(
        tool_mentions.insert(),
        [
            {
                "document_id": row.document_id,
                "segment_id": segment_id,
                "tool": tool,
                "alias": row.alias,
                "start": row.start,
                "end": row.end,
                "stance": stance,
                "origin": "human",
                "coder_id": coder_id,
                "model_id": None,
            }
            for row in found
        ],
    )


def import_stance_labels(store: Store, path: Path, *, coder: str | None = None) -> int:
    """Record the human stances of a CSV (``segment_id, tool, stance[, coder]``), in one go.

    The file ``stance sample`` writes is such a CSV once its ``stance`` column is filled
    in; rows with an empty stance are skipped. ``coder`` fills rows without a coder.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise BadInputError(f"cannot read {path}: {error.strerror}") from None
    needed = {"segment_id", "tool", "stance"}
    if rows and not needed <= set(rows[0]):
        raise BadInputError(f"{path.name} needs the columns segment_id, tool, stance (and coder)")
    count = 0
    with store.transaction() as connection:
        for number, row in enumerate(rows, 2):
            stance = (row.get("stance") or "").strip().lower()
            if not stance:
                continue
            who = (row.get("coder") or "").strip() or coder
            if not who:
                raise BadInputError(f"{path.name} line {number}: no coder (give --coder)")
            try:
                segment_id = int(str(row["segment_id"]).strip())
            except ValueError:
                raise BadInputError(
                    f"{path.name} line {number}: segment_id is not a number"
                ) from None
            try:
                _label(connection, segment_id, str(row["tool"]).strip(), stance, who)
            except EarwitnessError as error:
                raise BadInputError(f"{path.name} line {number}: {error}") from None
            count += 1
    return count


def sample_for_labelling(store: Store, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` machine-stanced units nobody has labelled, stratified by tool × predicted stance.

    Each stratum gets an equal share (round-robin over strata in random order), so rare
    tools and rare stances are drawn as often as common ones while they last.
    """
    units, human = _units(store)
    with store.connect() as connection:
        predicted = {
            (row.segment_id, row.tool): row.stance
            for row in connection.execute(
                sa.select(
                    tool_mentions.c.segment_id, tool_mentions.c.tool, tool_mentions.c.stance
                ).where(tool_mentions.c.origin == "model")
            )
        }
    strata: dict[tuple[str, str], list[StanceUnit]] = defaultdict(list)
    for unit in units:
        if unit.key not in human:
            strata[(unit.tool, predicted.get(unit.key) or "none")].append(unit)
    rng = np.random.default_rng(seed)
    queues = {key: [items[i] for i in rng.permutation(len(items))] for key, items in strata.items()}
    order = [list(queues)[i] for i in rng.permutation(len(queues))]
    chosen: list[tuple[StanceUnit, str]] = []
    while len(chosen) < n and any(queues.values()):
        for key in order:
            if queues[key] and len(chosen) < n:
                chosen.append((queues[key].pop(), key[1]))
    return [
        {
            "segment_id": unit.segment.id,
            "tool": unit.tool,
            "predicted": stance,
            "text": unit.segment.text,
            "stance": "",
            "coder": "",
        }
        for unit, stance in sorted(chosen, key=lambda c: (c[0].tool, c[0].segment.id))
    ]


# --- validation ------------------------------------------------------------------------


def _agreement(predicted: Sequence[str | None], reference: Sequence[str]) -> dict[str, Any]:
    pairs = [(p, r) for p, r in zip(predicted, reference, strict=True) if p is not None]
    if not pairs:
        return {"accuracy": None, "kappa": None, "n": 0}
    p, r = [a for a, _ in pairs], [b for _, b in pairs]
    kappa = cohen_kappa_score(r, p) if len(set(p) | set(r)) > 1 else float("nan")
    return {
        "accuracy": round(sum(a == b for a, b in pairs) / len(pairs), 4),
        "kappa": None if kappa != kappa else round(float(kappa), 4),
        "n": len(pairs),
    }


def evaluate_stance(
    store: Store, embedder: Embedder | None = None, *, folds: int = 5, seed: int = 0
) -> list[dict[str, Any]]:
    """Agreement of each stance method with the human labels (majority per unit), beside
    the always-neutral baseline and human–human agreement.

    The classifier's figures are held out by document; Cohen's kappa is model vs the
    majority label, alpha model vs every human label (Krippendorff, nominal).
    """
    units, human = _units(store)
    labelled = [u for u in units if u.key in human]
    if len({u.segment.document_id for u in labelled}) < 2:
        raise EarwitnessError(
            "stance evaluation needs human stance labels in two documents or more"
        )
    reference = [_majority(human[u.key]) for u in labelled]
    predictions: dict[str, list[str | None]] = {
        "always-neutral": ["neutral"] * len(labelled),
        _vader_version(): [s for s, _ in vader_stance([u.segment.text for u in labelled])],
        RULES_MODEL_ID: [s for s, _ in rules_stance(labelled)],
    }
    curve_more: int | None = None
    learned = None
    if len(set(reference)) >= 2:
        embedder = embedder or Embedder(store)
        features = _features(labelled, embedder)
        groups = [u.segment.document_id for u in labelled]
        learned = f"{embedder.model_id}+{CLASSIFIER_ID}"
        predictions[learned] = _cross_fitted(features, reference, groups, folds=folds, seed=seed)
        held = _agreement(predictions[learned], reference)["kappa"]
        if held is None or held < MIN_LOWER_BOUND:
            sizes = [s for s in (10, 20, 40, 80, 160, 320, 640) if s < len(labelled)]
            curve = learning_curve(features, reference, groups, _fit, sizes=sizes, folds=folds)
            points = [(row["train_units"], row["kappa"]) for row in curve]
            curve_more = curve_labels_needed(points, len(labelled))
    human_alpha, n_shared = _human_stance_alpha(labelled, human)
    rows = []
    for method, predicted in predictions.items():
        model_row, human_row = [], []
        for unit, stance in zip(labelled, predicted, strict=True):
            for who, label in human[unit.key].items():
                if stance is not None and who != RESOLVED:
                    model_row.append(stance)
                    human_row.append(label)
        alpha = krippendorff_alpha([model_row, human_row]) if model_row else float("nan")
        agreement = _agreement(predicted, reference)
        alpha_value = None if alpha != alpha else round(alpha, 4)
        held = [i for i, p in enumerate(predicted) if p is not None]
        bounds = assess_agreement(
            [str(predicted[i]) for i in held],
            [reference[i] for i in held],
            [labelled[i].segment.document_id for i in held],
            seed=seed,
        )
        rows.append(
            {
                "method": method,
                "accuracy": agreement["accuracy"],
                "kappa": agreement["kappa"],
                "kappa_ci_low": bounds.kappa_low,
                "kappa_ci_high": bounds.kappa_high,
                "n_units": agreement["n"],
                "alpha_model_human": alpha_value,
                "n_pairs": len(model_row),
                "alpha_human_human": human_alpha,
                "n_human_units": n_shared,
                "flag": _joined(bounds.flag, _stance_flag(alpha_value, human_alpha)),
                "more_labels": bounds.more_labels,
                "more_labels_curve": curve_more if method == learned else None,
            }
        )
    return rows


def _joined(*flags: str) -> str:
    return "; ".join(f for f in flags if f)


def stance_learning_curve(
    store: Store,
    embedder: Embedder | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    method: str = "classifier",
    by: str = "document",
    fewshot: Any = None,
) -> list[dict[str, Any]]:
    """Held-out accuracy and kappa of a learned method against the number of labelled
    units, no document (``by="document"``) or no source (``by="source"``: the collection
    batch a document came from) both trained and tested on."""
    if method not in LEARNED_METHODS:
        raise BadInputError(
            f"the learning curve's method must be one of {', '.join(LEARNED_METHODS)}"
        )
    if by not in CURVE_GROUPS:
        raise BadInputError(f"the learning curve holds out by one of {', '.join(CURVE_GROUPS)}")
    units, human = _units(store)
    labelled = [u for u in units if u.key in human]
    reference = [_majority(human[u.key]) for u in labelled]
    groups = _held_out_groups(store, labelled, by)
    if len(set(reference)) < 2 or len(set(groups)) < 2:
        raise EarwitnessError(
            f"a learning curve needs human stance labels of two stances in two {by}s or more"
        )
    learner = _learner(method, labelled, embedder or Embedder(store), fewshot)
    sizes = [s for s in (10, 20, 40, 80, 160, 320, 640) if s < len(labelled)]
    rows = learning_curve(
        learner.inputs, reference, groups, learner.fit, sizes=sizes, folds=folds, seed=seed
    )
    return [{"method": learner.model_id, "held_out_by": by, **row} for row in rows]


def _held_out_groups(store: Store, units: Sequence[StanceUnit], by: str) -> list[int]:
    """Each unit's document, or its document's source (the document itself when it has
    none, as a negative number so it cannot collide with a source id)."""
    if by == "document":
        return [u.segment.document_id for u in units]
    ids = {u.segment.document_id for u in units}
    with store.connect() as connection:
        source = dict(
            connection.execute(
                sa.select(documents.c.id, documents.c.source_id).where(documents.c.id.in_(ids))
            ).all()
        )
    return [source.get(u.segment.document_id) or -u.segment.document_id for u in units]


def _human_stance_alpha(labelled: Sequence[StanceUnit], human: Human) -> tuple[float | None, int]:
    coded = [{c: s for c, s in human[u.key].items() if c != RESOLVED} for u in labelled]
    shared = [labels for labels in coded if len(labels) >= 2]
    if not shared:
        return None, 0
    coders = sorted({c for labels in shared for c in labels})
    alpha = krippendorff_alpha([[labels.get(c) for labels in shared] for c in coders])
    return (None if alpha != alpha else round(alpha, 4)), len(shared)


def _stance_flag(model: float | None, human: float | None) -> str:
    if model is None:
        return "model alpha undefined"
    if human is not None and model < human:
        return "below human-human"
    return ""


# --- aggregates ------------------------------------------------------------------------


def stance_aggregates(
    store: Store, *, n_boot: int = 2000, seed: int = 0, confidence: float = 0.95
) -> list[dict[str, Any]]:
    """Per tool × user group: counts per stance and shares with bootstrap CIs over authors.

    Each segment × tool unit takes the human stance where coders labelled it (majority),
    else the machine's. ``provenance`` says which: ``human`` (every unit labelled by
    people), ``machine validated`` (the machine's stance agrees with people on at least
    ``MIN_VALIDATION`` labelled units: kappa and n given, beside human–human alpha) or
    ``machine unvalidated``.
    """
    units, human = _units(store)
    model_stance = _model_stance(store)
    validation = stance_validation(units, human, model_stance, seed=seed, n_boot=n_boot)
    groups = _group_provenance(store)
    cells: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
    for unit in units:
        key = (unit.segment.id, unit.tool)
        if key in human:
            stance, source = _majority(human[key]), "human"
        elif key in model_stance:
            stance, source = model_stance[key], "model"
        else:
            continue
        author = unit.segment.participant_id or -unit.segment.document_id
        for group in (unit.segment.user_group, "all"):
            cells[(unit.tool, group)].append((author, stance, source))
    rng = np.random.default_rng(seed)
    rows = []
    for (tool, group), items in sorted(cells.items()):
        counts = Counter(stance for _, stance, _ in items)
        row: dict[str, Any] = {
            "tool": tool,
            "group": group,
            "n": len(items),
            "authors": len({a for a, _, _ in items}),
            "human_labelled": sum(1 for *_, source in items if source == "human"),
            **{stance: counts.get(stance, 0) for stance in STANCES},
        }
        for stance in ("positive", "negative"):
            share, low, high = _share_ci(items, stance, rng, n_boot, confidence)
            row[f"{stance}_share"] = share
            row[f"{stance}_ci_low"], row[f"{stance}_ci_high"] = low, high
        row.update(_provenance(row, validation[tool]))
        row.update(_group_source(group, {a for a, _, _ in items}, groups))
        rows.append(row)
    return rows


def _model_stance(store: Store) -> dict[tuple[int, str], str]:
    with store.connect() as connection:
        return {
            (row.segment_id, row.tool): row.stance
            for row in connection.execute(
                sa.select(
                    tool_mentions.c.segment_id, tool_mentions.c.tool, tool_mentions.c.stance
                ).where(tool_mentions.c.origin == "model", tool_mentions.c.stance.is_not(None))
            )
        }


def stance_provenance(
    store: Store, *, n_boot: int = 2000, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Per tool, the validation behind ``code stance report``: the machine's kappa against
    people with its interval, the provenance it earns and ``more_labels`` (how many more
    labelled units would bring the lower bound to the bar, :func:`labels_needed`)."""
    units, human = _units(store)
    return stance_validation(units, human, _model_stance(store), seed=seed, n_boot=n_boot)


def _group_provenance(store: Store) -> dict[str, Any]:
    """How authors got their group, and how the method that assigned them (the group rules,
    or the learned model, cross-validated) fares against people."""
    from earwitness.groups import MANUAL, validate_group_rules

    with store.connect() as connection:
        methods = dict(
            connection.execute(sa.select(participants.c.id, participants.c.group_method)).all()
        )
    learned = any(str(m).startswith("model:") for m in methods.values())
    try:
        overall = validate_group_rules(store, method="learned" if learned else "rules")[-1]
    except EarwitnessError:
        overall = {
            "manual": 0,
            "alpha_assigned": None,
            "by_rules": 0,
            "kappa_assigned": None,
            "kappa_ci_low": None,
        }
    return {"methods": methods, "manual": MANUAL, "validation": overall}


def _group_source(group: str, authors: set[int], groups: Mapping[str, Any]) -> dict[str, Any]:
    """``group_provenance``: human (every author's group set by people), machine validated
    (the rules assigned at least ``MIN_VALIDATION`` people-labelled authors and their kappa
    against people there has a 95 % lower bound of 0.4 or more), machine unvalidated, or
    none (``unknown``, ``all``)."""
    validation = groups["validation"]
    methods = [groups["methods"].get(a) for a in authors if a > 0]
    if group in ("all", "unknown") or not methods:
        source = "none"
    else:
        every = all(m == groups["manual"] for m in methods)
        source = provenance(
            every,
            validation["by_rules"],
            validation["kappa_assigned"],
            validation["kappa_ci_low"],
        )
    return {
        "group_provenance": source,
        "group_alpha_assigned": validation["alpha_assigned"],
        "group_kappa_assigned": validation["kappa_assigned"],
        "group_kappa_ci_low": validation["kappa_ci_low"],
        "group_n_validation": validation["manual"],
    }


def stance_validation(
    units: Sequence[StanceUnit],
    human: Human,
    model_stance: Mapping[tuple[int, str], str],
    *,
    seed: int = 0,
    n_boot: int = 2000,
) -> dict[str, dict[str, Any]]:
    """Per tool, the stored machine stance against the human majority on that tool's own
    labelled units: kappa with its bootstrap interval over documents (the provenance rule)."""
    human_alpha, n_shared = _human_stance_alpha([u for u in units if u.key in human], human)
    by_tool: dict[str, list[StanceUnit]] = defaultdict(list)
    for unit in units:
        by_tool[unit.tool].append(unit)
    found = {}
    for tool, items in by_tool.items():
        checked = [u for u in items if u.key in human and u.key in model_stance]
        agreement = assess_agreement(
            [model_stance[u.key] for u in checked],
            [_majority(human[u.key]) for u in checked],
            [u.segment.document_id for u in checked],
            all_human=all(u.key in human for u in items),
            seed=seed,
            n_boot=n_boot,
        )
        found[tool] = {
            **agreement.as_row(),
            "alpha_human_human": human_alpha,
            "n_human_units": n_shared,
        }
    return found


def _provenance(row: Mapping[str, Any], validation: Mapping[str, Any]) -> dict[str, Any]:
    source = provenance(
        row["human_labelled"] == row["n"],
        validation["n"],
        validation["kappa"],
        validation["kappa_low"],
    )
    return {
        "provenance": source,
        "kappa_machine_human": validation["kappa"],
        "kappa_ci_low": validation["kappa_low"],
        "kappa_ci_high": validation["kappa_high"],
        "n_validation": validation["n"],
        "validation_flag": "" if source != "machine unvalidated" else validation["flag"],
        "more_labels": validation["more_labels"],
        "alpha_human_human": validation["alpha_human_human"],
    }


def _share_ci(
    items: list[tuple[int, str, str]],
    stance: str,
    rng: np.random.Generator,
    n_boot: int,
    confidence: float,
) -> tuple[float, float | None, float | None]:
    by_author: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for author, value, _ in items:
        by_author[author][0] += value == stance
        by_author[author][1] += 1
    hits = np.array([v[0] for v in by_author.values()], dtype=float)
    totals = np.array([v[1] for v in by_author.values()], dtype=float)
    share = round(float(hits.sum() / totals.sum()), 4)
    if len(hits) < 2:
        return share, None, None
    draws = rng.integers(0, len(hits), size=(n_boot, len(hits)))
    boot = hits[draws].sum(axis=1) / totals[draws].sum(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    return share, round(float(low), 4), round(float(high), 4)
