"""Rasa graph component that picks the topic *and* the specific answer in one linear model.

Why not DIET + ResponseSelector: on this data (a few thousand short, informal messages, ~100
answers) a sparse linear model over word and character n-grams is both more accurate and ~10x
faster to train (docs/BENCHMARKS.md, `make eval`). What this component adds over a plain
TF-IDF + logistic-regression classifier:

- **Two spellings of every message.** Features come from the text as typed *and* from its
  normalised spelling (nlu/normalisasi.tsv through akar_nlu.normaliser: "gmn" -> "gimana"),
  so a variant seen once in training counts as the word it stands for.
- **The answers teach too.** Each answer's text in the domain (every platform variant, line by
  line) and its short title (`metadata.judul`, the button text of "Maksud Kakak yang mana?")
  are training examples for its own key, at `answer_weight`. Sellers ask with the words the
  answer uses ("ongkir retur", "gagal kirim"), and rare sub-questions get vocabulary their few
  examples lack. Measured by 5-fold cross-validation on nlu/: +1.5 points of answer accuracy.
- **Topic by the sum of its answers.** The topic's confidence is the total probability of its
  answers, not the single best answer's, so a message split between two answers of one topic
  still lands firmly in that topic.

- **Contact details do not count.** E-mail addresses and phone numbers in a message are removed
  before featurising: "cod itu apa? email saya x@gmail.com" is a COD question.
- **No known word, no guess.** A message none of whose words (in either spelling) occurs in the
  training data ("asdfgh qwerty", "xxxxxxx") gets confidence 0, so FallbackClassifier offers
  topics instead of the character n-grams picking an answer at random.

Output is what the rest of the assistant already reads: `intent` / `intent_ranking` over topic
and conversation intents (FallbackClassifier after this one works unchanged), and
`response_selector.default` with the ranked answers in ResponseSelector's format
(`actions/topic_answer.py` takes the best answer inside the chosen topic).
"""

from __future__ import annotations

import hashlib
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from akar_nlu.normaliser import Normaliser, load_dictionary

_MODEL_FILE = "answer_classifier.pkl"
DEFAULT_DICTIONARY = "nlu/normalisasi.tsv"
# The key Rasa's own ResponseSelector uses when it serves every retrieval intent.
SELECTOR_KEY = "default"
_WORD = re.compile(r"[\w&]+")
# Contact details sellers paste into questions ("wa saya 0812-..., email x@gmail.com") say
# nothing about the question, but their characters ("gmail", digits) would pull it towards
# account-security answers. Removed before the text is featurised, in training and at parse.
# The label before a contact ("wa saya", "email:") goes with it.
_LABEL = (
    r"(?:\b(?:wa|whatsapp|hp|no|nomor|nmr|telp|telepon|email|e-mail|surel|kontak)\b"
    r"(?:\s+(?:saya|sy|aku|ku|toko))?\s*:?\s*)?"
)
_EMAIL = re.compile(_LABEL + r"\S+@\S+\.\w+", re.IGNORECASE)
_PHONE = re.compile(_LABEL + r"(?:\+62|\b0)8[\d\s.-]{7,14}\d", re.IGNORECASE)
# An answer line shorter than this ("Kak:", "Yang perlu Kakak lakukan:") says nothing specific.
MIN_ANSWER_LINE_CHARS = 20


def without_contacts(text: str) -> str:
    return _PHONE.sub(" ", _EMAIL.sub(" ", text))


def topic_of(key: str) -> str:
    return key.split("/", 1)[0]


class _Spelling:
    """Picklable text preprocessor: lowercase, word tokens, normalised spelling."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser

    def __call__(self, text: str) -> str:
        return " ".join(self.normaliser.normalise(w) for w in _WORD.findall(text.lower()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AnswerClassifier(GraphComponent, IntentClassifier):
    """Intent classifier and answer selector (see config.yml for where it sits)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "dictionary": DEFAULT_DICTIONARY,
            # LinearSVC's regularisation; chosen by 5-fold cross-validation on nlu/.
            "C": 0.5,
            # Margins -> probabilities: softmax(margin / temperature). Sets how peaked the
            # confidences are, which FallbackClassifier's threshold is tuned against.
            "temperature": 0.1,
            "answer_weight": 1.0,
            "intent_ranking_length": 10,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # The dictionary file is neither config nor training data; its content must count.
        path = Path(config.get("dictionary", DEFAULT_DICTIONARY))
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: dict[str, Any] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AnswerClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> AnswerClassifier:
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((directory / _MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, model)

    # --- training ----------------------------------------------------------------------------

    @staticmethod
    def _answer_lines(training_data: TrainingData) -> list[tuple[str, str]]:
        """(line, key) for every answer line and title of every retrieval-intent response."""
        lines = []
        for name, variations in (training_data.responses or {}).items():
            key = name.removeprefix("utter_")
            if "/" not in key:
                continue
            for variation in variations:
                title = (variation.get("metadata") or {}).get("judul")
                if isinstance(title, str) and title.strip():
                    lines.append((title.strip(), key))
                for line in str(variation.get(TEXT) or "").splitlines():
                    if len(line.strip()) >= MIN_ANSWER_LINE_CHARS:
                        lines.append((line.strip(), key))
        return lines

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union
        from sklearn.svm import LinearSVC

        texts: list[str] = []
        labels: list[str] = []
        for message in training_data.intent_examples:
            texts.append(without_contacts(str(message.get(TEXT))))
            labels.append(str(message.get(INTENT_RESPONSE_KEY) or message.get(INTENT)))
        weights = [1.0] * len(texts)
        known_keys = set(labels)
        for line, key in self._answer_lines(training_data):
            if key in known_keys:  # an answer without examples cannot be asked for
                texts.append(line)
                labels.append(key)
                weights.append(float(self._config["answer_weight"]))

        normaliser = Normaliser(dictionary=load_dictionary(self._config["dictionary"]))
        normaliser.learn(word for text in texts for word in _WORD.findall(text.lower()))
        spelling = _Spelling(normaliser)
        features = make_union(
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                sublinear_tf=True,
                preprocessor=spelling,
                token_pattern=r"\S+",
            ),
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=spelling
            ),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        matrix = features.fit_transform(texts)
        # A fixed seed: liblinear shuffles with it, so the same data gives the same model.
        classifier = LinearSVC(C=float(self._config["C"]), random_state=0)
        classifier.fit(matrix, labels, sample_weight=np.asarray(weights))
        vocabulary = {word for text in texts for word in _WORD.findall(text.lower())}
        vocabulary |= {word for text in texts for word in spelling(text).split()}
        self._model = {"features": features, "classifier": classifier, "vocabulary": vocabulary}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    # --- prediction ----------------------------------------------------------------------------

    def _probabilities(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        assert self._model is not None, "AnswerClassifier used before training"
        classifier = self._model["classifier"]
        margins = classifier.decision_function(self._model["features"].transform(texts))
        scaled = np.atleast_2d(margins) / float(self._config["temperature"])
        scaled -= scaled.max(axis=1, keepdims=True)
        exp = np.exp(scaled)
        return [str(k) for k in classifier.classes_], exp / exp.sum(axis=1, keepdims=True)

    def _knows_a_word(self, text: str) -> bool:
        assert self._model is not None
        vocabulary = self._model["vocabulary"]
        spelling = self._model["features"].transformer_list[0][1].preprocessor
        words = set(_WORD.findall(text.lower())) | set(spelling(text).split())
        return any(word in vocabulary for word in words)

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages or self._model is None:
            return messages
        texts = [without_contacts(str(m.get(TEXT) or "")) for m in messages]
        keys, probabilities = self._probabilities(texts)
        for message, text, row in zip(messages, texts, probabilities, strict=True):
            self._annotate(message, keys, row, understood=self._knows_a_word(text))
        return messages

    def _annotate(
        self, message: Message, keys: list[str], row: np.ndarray, understood: bool
    ) -> None:
        intents: dict[str, float] = {}
        for key, probability in zip(keys, row, strict=True):
            intents[topic_of(key)] = intents.get(topic_of(key), 0.0) + float(probability)
        if not understood:
            intents = dict.fromkeys(intents, 0.0)
        ranking = sorted(intents.items(), key=lambda item: -item[1])
        best, confidence = ranking[0]
        message.set(
            INTENT,
            {INTENT_NAME_KEY: best, PREDICTED_CONFIDENCE_KEY: confidence},
            add_to_output=True,
        )
        message.set(
            INTENT_RANKING_KEY,
            [
                {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: value}
                for name, value in ranking[: int(self._config["intent_ranking_length"])]
            ],
            add_to_output=True,
        )
        answers = sorted(
            ((key, float(p)) for key, p in zip(keys, row, strict=True) if "/" in key),
            key=lambda item: -item[1],
        )
        if not answers:
            return
        top_key, top_confidence = answers[0]
        message.set(
            "response_selector",
            {
                "all_retrieval_intents": sorted({topic_of(key) for key, _ in answers}),
                SELECTOR_KEY: {
                    "response": {
                        "responses": [],
                        PREDICTED_CONFIDENCE_KEY: top_confidence,
                        INTENT_RESPONSE_KEY: top_key,
                        "utter_action": f"utter_{top_key}",
                    },
                    "ranking": [
                        {"id": None, PREDICTED_CONFIDENCE_KEY: p, INTENT_RESPONSE_KEY: key}
                        for key, p in answers
                    ],
                },
            },
            add_to_output=True,
        )
