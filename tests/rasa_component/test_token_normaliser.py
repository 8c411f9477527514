"""The TokenNormaliser graph component inside a real Rasa pipeline (run in .venv-rasa)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from akar_nlu.components import TokenNormaliser

ROOT = Path(__file__).resolve().parents[2]
TRAINING = [
    ("gimana cara aktifin cod", "tanya_cod"),
    ("ongkir ke makassar berapa", "tanya_ongkir"),
    ("toko saya sepi banget", "tanya_algoritma"),
    ("maaf kak free ongkir itu apa", "tanya_ongkir"),
]


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture()
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def tokenizer() -> WhitespaceTokenizer:
    return WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def training_data() -> TrainingData:
    data = TrainingData([Message(data={TEXT: text, "intent": i}) for text, i in TRAINING])
    tokenizer().process_training_data(data)
    return data


def trained(storage: LocalModelStorage, context: ExecutionContext) -> TokenNormaliser:
    config = {"dictionary": str(ROOT / "nlu" / "normalisasi.tsv")}
    resource = Resource("normaliser")
    TokenNormaliser.create(config, storage, resource, context).train(training_data())
    # A fresh load, as the Rasa server does: nothing but the stored model state.
    return TokenNormaliser.load(config, storage, resource, context)


def parsed(component: TokenNormaliser, text: str) -> Message:
    message = Message(data={TEXT: text})
    tokenizer().process([message])
    component.process([message])
    return message


def test_lemmas_are_normalised_and_text_and_offsets_kept(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    component = trained(storage, context)
    message = parsed(component, "Gmn ongkirr ke MKS, sepiii bgt")
    tokens = message.get("text_tokens")
    assert [t.lemma for t in tokens] == ["gimana", "ongkir", "ke", "mks", "sepi", "banget"]
    assert [t.text for t in tokens] == ["Gmn", "ongkirr", "ke", "MKS", "sepiii", "bgt"]
    assert message.get(TEXT) == "Gmn ongkirr ke MKS, sepiii bgt"
    assert all(message.get(TEXT)[t.start : t.end] == t.text for t in tokens)


def test_known_double_letters_survive_a_reload(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    component = trained(storage, context)
    lemmas = [t.lemma for t in parsed(component, "maaf free").get("text_tokens")]
    assert lemmas == ["maaf", "free"]


def test_count_vectors_see_one_word_for_all_spellings(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    component = trained(storage, context)
    data = training_data()
    component.process_training_data(data)
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context
    )
    featurizer.train(data)

    def sentence_features(text: str) -> np.ndarray:
        message = parsed(component, text)
        featurizer.process([message])
        _, sentence = message.get_sparse_features(TEXT)
        return sentence.features.toarray()

    assert np.array_equal(sentence_features("gmn"), sentence_features("gimana"))
    assert np.array_equal(sentence_features("bangettt"), sentence_features("banget"))
    assert not np.array_equal(sentence_features("gmn"), sentence_features("berapa"))
