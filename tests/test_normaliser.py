"""The token normaliser's rules (akar_nlu/normaliser.py) and its dictionary (nlu/normalisasi.tsv).

The Rasa component that applies them inside the pipeline is tested in the Rasa environment
(tests/rasa_component/), since Rasa 3.6 needs Python 3.10.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from akar_nlu.normaliser import DictionaryError, Normaliser, load_dictionary, parse_dictionary

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = ROOT / "nlu" / "normalisasi.tsv"


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    trained = Normaliser(dictionary=load_dictionary(DICTIONARY))
    trained.learn(["ongkir", "sepi", "maaf", "free", "toko", "Lazada"])
    return trained


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("bgt", "banget"),
        ("BGT", "banget"),
        ("gmn", "gimana"),
        ("yg", "yang"),
        ("brp", "berapa"),
        ("knp", "kenapa"),
        ("ongkirr", "ongkir"),
        ("ongkirrrr", "ongkir"),
        ("sepiii", "sepi"),
        ("bangettt", "banget"),
        ("gmnnn", "gimana"),
    ],
)
def test_abbreviations_slang_and_stretched_letters(
    normaliser: Normaliser, written: str, canonical: str
) -> None:
    assert normaliser.normalise(written) == canonical


@pytest.mark.parametrize("word", ["maaf", "free", "toko", "lazada"])
def test_known_words_with_double_letters_are_left_alone(normaliser: Normaliser, word: str) -> None:
    assert normaliser.normalise(word) == word


def test_unknown_words_are_only_lowercased(normaliser: Normaliser) -> None:
    assert normaliser.normalise("Qwertyy") == "qwertyy"
    assert normaliser.normalise("Jualan") == "jualan"


def test_dictionary_parsing_reports_mistakes_with_their_line() -> None:
    assert parse_dictionary(["# comment", "", "gk\ttidak  # inline", "YG\tyang"]) == {
        "gk": "tidak",
        "yg": "yang",
    }
    with pytest.raises(DictionaryError, match=r"x\.tsv:2: expected"):
        parse_dictionary(["a\tb", "only-one-field"], source="x.tsv")
    with pytest.raises(DictionaryError, match="mapped twice"):
        parse_dictionary(["a\tb", "a\tc"])


def test_the_dictionary_is_consistent() -> None:
    mapping = load_dictionary(DICTIONARY)
    assert len(mapping) >= 200
    for variant, canonical in mapping.items():
        assert " " not in canonical, f"{variant} -> {canonical!r}: canonical must be one token"
        # No chains: a canonical form is never itself rewritten to something else.
        assert mapping.get(canonical, canonical) == canonical, f"{variant} -> {canonical} -> ..."
