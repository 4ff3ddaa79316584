"""A user-group model learned from the study's own labelled authors.

One row per **author**, aggregated over all their posts and turns:

* the transparent rules' votes (``_rules``): summed weight per rule and per group, and the
  evidence found per kind and suggested group (log-scaled counts);
* the words of the author's own first-person sentences (TF-IDF of word unigrams and
  bigrams, sublinear term frequency): "my day job", "our lecturer", "my clients", "for
  fun". A sentence counts only when the writer speaks of themselves ("I", "I'm", or "my"
  / "me" with no third person in it), does not address the reader ("you": advice,
  requests, a prompt's instructions; as the paid-work evidence does) and is not a role
  played or a supposition (the same ``HYPOTHETICAL`` guard as the evidence), so "my
  friend is a mastering engineer", "he has platinum records" or "act as a mastering
  engineer. I want you to ..." give the model nothing.

A class-balanced multinomial logistic regression (scikit-learn, ``class_weight=
"balanced"``: King & Zeng 2001 on rare-event reweighting) is fitted on the manual labels,
``unknown`` included when people used it. It **abstains**: an author whose most probable
group is below ``threshold``, or whose most probable answer is ``unknown``, or who gave
the model no feature at all, stays ``unknown``, so precision stays high where the words
are thin. ``C`` and the threshold were checked by leave-one-site-out cross-validation on
``data/groups-eval.csv`` (all of it development data since issue 22 §4; docs/groups.md).

Sentence embeddings are not used: the local MiniLM encoder lives in the ``code`` area
(``earwitness.code.Embedder``) and this core module must not depend on an area.

scikit-learn conventions: parameters in ``__init__``, fitted attributes end in ``_``,
``fit`` returns ``self``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from earwitness.errors import BadInputError
from earwitness.groups._evidence import Evidence, find_group_evidence
from earwitness.groups._rules import rule_assignment
from earwitness.groups._vocabulary import GROUP_RULES, GROUPS, HYPOTHETICAL, UNKNOWN

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DEFAULT_THRESHOLD",
    "METHOD",
    "MIN_LABELS",
    "MODEL_NAME",
    "AuthorEvidence",
    "GroupModel",
    "author_evidence",
    "enough_labels",
    "self_sentences",
]

# groups-lr-2 (issue 22 §4): the same learner over the widened rule vocabulary (new
# evidence kinds and the day-job, quit-job and industry-years rules as features), so its
# features, and a fitted model's answers, differ from groups-lr-1's.
MODEL_NAME = "groups-lr-2"
METHOD = f"model:{MODEL_NAME}"
# The learned method needs this many authors labelled with a group proper, in two groups
# or more (``auto`` uses the rules until then).
MIN_LABELS = 20
MIN_GROUPS = 2
DEFAULT_THRESHOLD = 0.5

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_I = re.compile(r"\b(?:I|I['’](?:m|ve|d|ll))\b")
_MY = re.compile(r"\b(?:my|me|myself|mine)\b", re.IGNORECASE)
_THIRD = re.compile(r"\b(?:he|she|they|his|her|their|him|them)\b", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|you['’](?:re|ve|d|ll)|your|yours)\b", re.IGNORECASE)


@dataclass(frozen=True)
class AuthorEvidence:
    """What one author says about themselves over all their posts: the evidence the
    collectors stored and their first-person sentences."""

    evidence: tuple[Evidence, ...] = ()
    sentences: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.evidence and not self.sentences


def self_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in which the writer speaks of themselves."""
    found = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if not sentence or HYPOTHETICAL.search(sentence) or _YOU.search(sentence):
            continue
        if _I.search(sentence) or (_MY.search(sentence) and not _THIRD.search(sentence)):
            found.append(sentence)
    return found


def author_evidence(
    texts: Iterable[str], evidence: Sequence[Evidence] | None = None
) -> AuthorEvidence:
    """An author's features' inputs from their texts; ``evidence`` as stored, else found
    in the texts here (as the collectors would)."""
    texts = list(texts)
    if evidence is None:
        evidence = [e for text in texts for e in find_group_evidence(text)]
    sentences = [s for text in texts for s in self_sentences(text)]
    return AuthorEvidence(tuple(evidence), tuple(sentences))


def rule_features(author: AuthorEvidence) -> dict[str, float]:
    """The rules' votes and the evidence kinds, log-scaled."""
    counts: dict[str, float] = {}
    _, _, _, votes = rule_assignment(list(author.evidence), GROUP_RULES)
    for vote in votes:
        for key in (f"rule={vote['rule']}:{vote['group']}", f"group={vote['group']}"):
            counts[key] = counts.get(key, 0.0) + float(vote["weight"])
    for item in author.evidence:
        key = f"kind={item.kind}:{item.suggested_group or '-'}"
        counts[key] = counts.get(key, 0.0) + 1.0
    return {key: math.log1p(value) for key, value in counts.items()}


def enough_labels(groups: Sequence[str]) -> bool:
    """Whether manual labels are enough to learn from (``auto`` switches then)."""
    proper = [g for g in groups if g in GROUPS]
    return len(proper) >= MIN_LABELS and len(set(proper)) >= MIN_GROUPS


class GroupModel:
    """Class-balanced logistic regression over author features, abstaining below
    ``threshold`` (see the module's docstring)."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        C: float = 10.0,
        text_features: bool = True,
        max_features: int = 20000,
        seed: int = 0,
    ) -> None:
        self.threshold = threshold
        self.C = C
        self.text_features = text_features
        self.max_features = max_features
        self.seed = seed

    def fit(self, authors: Sequence[AuthorEvidence], groups: Sequence[str]) -> GroupModel:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(authors) != len(groups):
            raise BadInputError("one group per author is needed to fit the group model")
        if len(set(groups)) < 2:
            raise BadInputError("the group model needs labelled authors in two groups or more")
        self.rules_ = DictVectorizer()
        self.rules_.fit([rule_features(a) for a in authors])
        self.words_ = None
        documents = [" ".join(a.sentences) for a in authors]
        if self.text_features and any(documents):
            self.words_ = TfidfVectorizer(
                ngram_range=(1, 2), sublinear_tf=True, max_features=self.max_features
            )
            self.words_.fit(documents)
        self.classifier_ = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=2000, random_state=self.seed
        )
        self.classifier_.fit(self._matrix(authors), list(groups))
        self.classes_ = [str(c) for c in self.classifier_.classes_]
        return self

    def _matrix(self, authors: Sequence[AuthorEvidence]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        parts = [self.rules_.transform([rule_features(a) for a in authors])]
        if self.words_ is not None:
            parts.append(self.words_.transform([" ".join(a.sentences) for a in authors]))
        return csr_matrix(hstack(parts))

    def predict_proba(self, authors: Sequence[AuthorEvidence]) -> np.ndarray:
        """Each author's probability per class (in ``classes_`` order)."""
        if not authors:
            import numpy as np

            return np.zeros((0, len(self.classes_)))
        probabilities: np.ndarray = self.classifier_.predict_proba(self._matrix(authors))
        return probabilities

    def decide(self, authors: Sequence[AuthorEvidence]) -> list[tuple[str, float | None]]:
        """(group, confidence) per author: ``unknown`` and no confidence when it abstains."""
        decided: list[tuple[str, float | None]] = []
        for author, row in zip(authors, self.predict_proba(authors), strict=True):
            best = int(row.argmax())
            group, confidence = self.classes_[best], float(row[best])
            if author.empty or group == UNKNOWN or confidence < self.threshold:
                decided.append((UNKNOWN, None))
            else:
                decided.append((group, round(confidence, 4)))
        return decided

    def predict(self, authors: Sequence[AuthorEvidence]) -> list[str]:
        return [group for group, _ in self.decide(authors)]

    def margins(self, authors: Sequence[AuthorEvidence]) -> list[float]:
        """The gap between each author's two most probable classes (small = unsure)."""
        gaps = []
        for row in self.predict_proba(authors):
            top = sorted(row, reverse=True)
            gaps.append(float(top[0] - (top[1] if len(top) > 1 else 0.0)))
        return gaps
