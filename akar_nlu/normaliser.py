"""Token normalisation for informal Indonesian: abbreviations, slang and stretched letters.

Sellers write "gmn", "gimana" and "bagaimana" for the same word, and stretch letters for
emphasis ("sepiii", "ongkirr"). Mapping every variant to one canonical spelling before
featurisation lets the classifier learn one word instead of five, so a variant seen only
once in training still counts fully. The dictionary is data (`nlu/normalisasi.tsv`) so the
team can extend it without touching code.

Stretched letters are only squeezed when the squeezed form is a word the model knows (from
the dictionary or the training data): Indonesian has real double letters ("maaf", "saat"),
and loanwords end in them ("free", "sell"), so blind squeezing would damage real words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

_RUN_OF_THREE_OR_MORE = re.compile(r"(.)\1{2,}")
_RUN_OF_TWO_OR_MORE = re.compile(r"(.)\1+")


class DictionaryError(ValueError):
    """A malformed line in the normalisation dictionary, reported with its place."""

    def __init__(self, source: str, line_number: int, reason: str) -> None:
        super().__init__(f"{source}:{line_number}: {reason}")


def parse_dictionary(lines: Iterable[str], source: str = "<dictionary>") -> dict[str, str]:
    """Reads `variant<TAB>canonical` lines; `#` starts a comment, blank lines are skipped.

    Errors are raised rather than skipped: a silently ignored line would mean a variant the
    team believes is handled but is not.
    """
    mapping: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [part.strip() for part in line.split("\t") if part.strip()]
        if len(fields) != 2:
            raise DictionaryError(source, number, "expected 'variant<TAB>canonical'")
        variant, canonical = fields[0].lower(), fields[1].lower()
        if variant in mapping and mapping[variant] != canonical:
            raise DictionaryError(source, number, f"{variant!r} is mapped twice")
        mapping[variant] = canonical
    return mapping


def load_dictionary(path: str | Path) -> dict[str, str]:
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        return parse_dictionary(handle, source=str(path))


def _squeezed_forms(word: str) -> Iterator[str]:
    """Candidate spellings with stretched letters removed, most conservative first."""
    seen = {word}
    for candidate in (
        _RUN_OF_THREE_OR_MORE.sub(r"\1\1", word),  # "maaaaf" -> "maaf"
        _RUN_OF_THREE_OR_MORE.sub(r"\1", word),  # "sepiii" -> "sepi"
        _RUN_OF_TWO_OR_MORE.sub(r"\1", word),  # "ongkirr" -> "ongkir", "bangett" -> "banget"
    ):
        if candidate not in seen:
            seen.add(candidate)
            yield candidate


@dataclass
class Normaliser:
    """Maps one token to its canonical spelling.

    `vocabulary` holds the words the model has seen in training; it only decides whether a
    squeezed spelling is a real word, it never changes a known word.
    """

    dictionary: dict[str, str]
    vocabulary: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._known = set(self.vocabulary) | set(self.dictionary.values())

    def learn(self, words: Iterable[str]) -> None:
        """Adds training words to the vocabulary used to validate squeezed spellings."""
        for word in words:
            lowered = word.lower()
            self.vocabulary.add(lowered)
            self._known.add(lowered)

    def normalise(self, token: str) -> str:
        word = token.lower()
        if word in self.dictionary:
            return self.dictionary[word]
        if word in self._known:
            return word
        for candidate in _squeezed_forms(word):
            if candidate in self.dictionary:
                return self.dictionary[candidate]
            if candidate in self._known:
                return candidate
        return word
