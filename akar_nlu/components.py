"""Rasa graph component that writes the normalised spelling of each token into its lemma.

Only the lemma changes: the message text and the token offsets stay as the seller wrote them,
so entity annotations, the regex/lookup features and the CRF keep working on the original
text, while the CountVectors featurisers (which read lemmas by default) see one spelling per
word. The dictionary and the training vocabulary are stored inside the model, so the server
needs nothing but the model file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from akar_nlu.normaliser import Normaliser, load_dictionary

_STATE_FILE = "normaliser.json"
DEFAULT_DICTIONARY = "nlu/normalisasi.tsv"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TokenNormaliser(GraphComponent):
    """Runs after the tokenizer and before the featurisers (see config.yml)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"dictionary": DEFAULT_DICTIONARY}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa caches trained components by config and training data; the dictionary file is
        # neither, so its content must be part of the fingerprint or edits would be ignored.
        # Rasa may pass the node's config without the defaults merged in.
        path = Path(config.get("dictionary", DEFAULT_DICTIONARY))
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        normaliser: Normaliser,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._normaliser = normaliser

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TokenNormaliser:
        normaliser = Normaliser(dictionary=load_dictionary(config["dictionary"]))
        return cls(config, model_storage, resource, normaliser)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TokenNormaliser:
        with model_storage.read_from(resource) as directory:
            state = json.loads((directory / _STATE_FILE).read_text(encoding="utf-8"))
        normaliser = Normaliser(
            dictionary=dict(state["dictionary"]), vocabulary=set(state["vocabulary"])
        )
        return cls(config, model_storage, resource, normaliser)

    def train(self, training_data: TrainingData) -> Resource:
        for message in training_data.training_examples:
            self._normaliser.learn(token.text for token in message.get(TOKENS_NAMES[TEXT], []))
        with self._model_storage.write_to(self._resource) as directory:
            state = {
                "dictionary": self._normaliser.dictionary,
                "vocabulary": sorted(self._normaliser.vocabulary),
            }
            (directory / _STATE_FILE).write_text(
                json.dumps(state, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def _normalise(self, message: Message) -> None:
        for token in message.get(TOKENS_NAMES[TEXT], []) or []:
            token.lemma = self._normaliser.normalise(token.text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalise(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalise(message)
        return messages
