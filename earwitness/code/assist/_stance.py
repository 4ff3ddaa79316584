"""Stance toward AI mixing and mastering tools: mentions, stance per segment × tool, aggregates.

* **Mentions** come from a gazetteer of tools with aliases and common misspellings. The
  study can edit it in ``earwitness.toml`` under ``[gazetteer]``: each key is a tool's
  canonical name and its value the list of aliases; an entry replaces the built-in one of
  the same name, and an empty list removes the tool.
* **Stance** (positive, negative, mixed, neutral) is given per segment × tool. The baseline
  is VADER (Hutto & Gilbert 2014) on the segment: compound >= 0.05 positive, <= -0.05
  negative, else neutral, as its authors recommend; "mixed" when both the positive and the
  negative share of the text reach 0.1 (our rule). Once human coders have labelled enough
  units, a logistic regression on the segment embeddings takes over.
* **Aggregates** per tool × user group give counts and shares with 95 % percentile
  bootstrap intervals (Efron & Tibshirani 1993), resampling authors rather than segments
  because one author's segments are not independent (cluster bootstrap, Field & Welsh 2007).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from earwitness.code.assist._data import SegmentText, load_segments
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.reliability import krippendorff_alpha
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.services import DEFAULT_SERVICES, ServiceIndex
from earwitness.store import ensure_coder
from earwitness.store.schema import tool_mentions

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = [
    "DEFAULT_GAZETTEER",
    "STANCES",
    "Gazetteer",
    "StanceClassifier",
    "detect_stance",
    "evaluate_stance",
    "find_mentions",
    "label_stance",
    "stance_aggregates",
    "vader_stance",
]

STANCES = ("positive", "negative", "mixed", "neutral")
MIN_STANCE_EXAMPLES = 20
_MIXED_SHARE = 0.1

# The built-in tools live in earwitness.services (one identity per service).
DEFAULT_GAZETTEER: dict[str, list[str]] = DEFAULT_SERVICES


def _vader_version() -> str:
    try:
        return f"vader-{version('vaderSentiment')}"
    except PackageNotFoundError:  # pragma: no cover
        return "vader"


class Gazetteer:
    """Finds tool mentions by alias, case-insensitive, at word boundaries, longest first."""

    def __init__(self, entries: Mapping[str, Sequence[str]] | None = None) -> None:
        self.entries = {
            tool: list(aliases) for tool, aliases in (entries or DEFAULT_GAZETTEER).items()
        }
        self._tool_of: dict[str, str] = {}
        for tool, aliases in self.entries.items():
            for alias in [tool, *aliases]:
                self._tool_of.setdefault(_norm(alias), tool)
        ordered = sorted(self._tool_of, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, alias.split())) for alias in ordered)
        self._pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE) if body else None

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
        return [
            (self._tool_of[_norm(m.group(0))], m.group(0), m.start(), m.end())
            for m in self._pattern.finditer(text)
        ]


def _norm(alias: str) -> str:
    return " ".join(alias.casefold().split())


def find_mentions(store: Store, gazetteer: Gazetteer, *, kinds: Sequence[str] | None = None) -> int:
    """Replace the machine-found mentions in every segment; human stance labels stay."""
    with store.connect() as connection:
        segment_list = load_segments(connection, kinds=kinds)
    rows = []
    for segment in segment_list:
        for tool, alias, start, end in gazetteer.find(segment.text):
            rows.append(
                {
                    "document_id": segment.document_id,
                    "segment_id": segment.id,
                    "tool": tool,
                    "alias": alias[:128],
                    "start": segment.start + start,
                    "end": segment.start + end,
                    "origin": "model",
                    "model_id": "gazetteer",
                }
            )
    with store.transaction() as connection:
        connection.execute(tool_mentions.delete().where(tool_mentions.c.origin == "model"))
        if rows:
            connection.execute(tool_mentions.insert(), rows)
    return len(rows)


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
    segment: SegmentText
    tool: str


def _units(store: Store) -> tuple[list[StanceUnit], dict[tuple[int, str], dict[int, str]]]:
    """Segment × tool units with a mention, and human labels {(segment, tool): {coder: stance}}."""
    with store.connect() as connection:
        mentions = connection.execute(
            sa.select(
                tool_mentions.c.segment_id,
                tool_mentions.c.tool,
                tool_mentions.c.origin,
                tool_mentions.c.coder_id,
                tool_mentions.c.stance,
            ).where(tool_mentions.c.segment_id.is_not(None))
        ).all()
        ids = {row.segment_id for row in mentions}
        by_id = {s.id: s for s in load_segments(connection, segment_ids=ids)} if ids else {}
    keys = sorted({(row.segment_id, row.tool) for row in mentions if row.segment_id in by_id})
    human: dict[tuple[int, str], dict[int, str]] = defaultdict(dict)
    for row in mentions:
        if row.origin == "human" and row.stance in STANCES and row.segment_id in by_id:
            human[(row.segment_id, row.tool)][row.coder_id or -1] = row.stance
    return [StanceUnit(by_id[s], tool) for s, tool in keys], dict(human)


def _majority(labels: dict[int, str]) -> str:
    counts = Counter(labels.values()).most_common()
    return counts[0][0]


def detect_stance(
    store: Store, embedder: Embedder | None = None, *, min_examples: int = MIN_STANCE_EXAMPLES
) -> dict[str, Any]:
    """Give every machine-found mention a stance: the classifier once trained, else VADER."""
    units, human = _units(store)
    if not units:
        return {"units": 0, "method": "none"}
    texts = [unit.segment.text for unit in units]
    labelled = [i for i, unit in enumerate(units) if (unit.segment.id, unit.tool) in human]
    use_classifier = (
        len(labelled) >= min_examples
        and len({_majority(human[(units[i].segment.id, units[i].tool)]) for i in labelled}) >= 2
    )
    if use_classifier:
        embedder = embedder or Embedder(store)
        vectors = embedder.embed(texts)
        y = [_majority(human[(units[i].segment.id, units[i].tool)]) for i in labelled]
        model = StanceClassifier().fit(vectors[labelled], y)
        proba = model.predict_proba(vectors)
        stances = [str(model.classes_[j]) for j in proba.argmax(axis=1)]
        scores = proba.max(axis=1).tolist()
        model_id = f"{embedder.model_id}+stance-logreg"
    else:
        found = vader_stance(texts)
        stances, scores = [s for s, _ in found], [c for _, c in found]
        model_id = _vader_version()
    updates = [
        {
            "b_segment": unit.segment.id,
            "b_tool": unit.tool,
            "b_stance": stance,
            "b_score": round(float(score), 6),
            "b_model": model_id,
        }
        for unit, stance, score in zip(units, stances, scores, strict=True)
    ]
    with store.transaction() as connection:
        connection.execute(
            tool_mentions.update()
            .where(
                tool_mentions.c.origin == "model",
                tool_mentions.c.segment_id == sa.bindparam("b_segment"),
                tool_mentions.c.tool == sa.bindparam("b_tool"),
            )
            .values(
                stance=sa.bindparam("b_stance"),
                score=sa.bindparam("b_score"),
                model_id=sa.bindparam("b_model"),
            ),
            updates,
        )
    return {"units": len(units), "method": model_id, "human_labelled": len(labelled)}


def label_stance(store: Store, segment_id: int, tool: str, stance: str, coder: str) -> None:
    """Record ``coder``'s stance for ``tool`` in a segment (replacing their earlier label)."""
    if stance not in STANCES:
        raise EarwitnessError(f"stance must be one of {', '.join(STANCES)}, not {stance!r}")
    with store.transaction() as connection:
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
                }
                for row in found
            ],
        )


# --- validation ------------------------------------------------------------------------


def evaluate_stance(
    store: Store, embedder: Embedder | None = None, *, folds: int = 5, seed: int = 0
) -> list[dict[str, Any]]:
    """Agreement of VADER and the held-out classifier with each human coder, and human–human."""
    units, human = _units(store)
    labelled = [u for u in units if (u.segment.id, u.tool) in human]
    if len({u.segment.document_id for u in labelled}) < 2:
        raise EarwitnessError(
            "stance evaluation needs human stance labels in two documents or more"
        )
    predictions: dict[str, list[str | None]] = {
        _vader_version(): [s for s, _ in vader_stance([u.segment.text for u in labelled])]
    }
    embedder = embedder or Embedder(store)
    vectors = embedder.embed([u.segment.text for u in labelled])
    reference = [_majority(human[(u.segment.id, u.tool)]) for u in labelled]
    held_out: list[str | None] = [None] * len(labelled)
    groups = [u.segment.document_id for u in labelled]
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))), shuffle=True, random_state=seed)
    for train, test in splitter.split(vectors, groups=groups):
        if len({reference[i] for i in train}) < 2:
            continue
        model = StanceClassifier().fit(vectors[train], [reference[i] for i in train])
        for i, stance in zip(test, model.predict(vectors[test]), strict=True):
            held_out[i] = str(stance)
    predictions[f"{embedder.model_id}+stance-logreg"] = held_out
    human_alpha, n_shared = _human_stance_alpha(labelled, human)
    rows = []
    for method, predicted in predictions.items():
        model_row, human_row = [], []
        for unit, stance in zip(labelled, predicted, strict=True):
            for label in human[(unit.segment.id, unit.tool)].values():
                if stance is not None:
                    model_row.append(stance)
                    human_row.append(label)
        alpha = krippendorff_alpha([model_row, human_row]) if model_row else float("nan")
        agree = sum(m == h for m, h in zip(model_row, human_row, strict=True))
        alpha_value = None if alpha != alpha else round(alpha, 4)
        rows.append(
            {
                "method": method,
                "alpha_model_human": alpha_value,
                "accuracy": round(agree / len(model_row), 4) if model_row else None,
                "n_pairs": len(model_row),
                "alpha_human_human": human_alpha,
                "n_human_units": n_shared,
                "flag": _stance_flag(alpha_value, human_alpha),
            }
        )
    return rows


def _human_stance_alpha(
    labelled: Sequence[StanceUnit], human: dict[tuple[int, str], dict[int, str]]
) -> tuple[float | None, int]:
    shared = [
        human[(u.segment.id, u.tool)] for u in labelled if len(human[(u.segment.id, u.tool)]) >= 2
    ]
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
    else the machine's.
    """
    units, human = _units(store)
    with store.connect() as connection:
        model_stance = {
            (row.segment_id, row.tool): row.stance
            for row in connection.execute(
                sa.select(
                    tool_mentions.c.segment_id, tool_mentions.c.tool, tool_mentions.c.stance
                ).where(tool_mentions.c.origin == "model", tool_mentions.c.stance.is_not(None))
            )
        }
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
        rows.append(row)
    return rows


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
