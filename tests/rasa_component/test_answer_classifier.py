"""AnswerClassifier as the Rasa server runs it: trained, stored, loaded fresh, then parsing.

Runs in .venv-rasa (`make test-component`); the real trained model is covered by the held-out
floor (`make eval-floor`) and the end-to-end tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from akar_nlu.answer_classifier import AnswerClassifier, without_contacts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "tanya_cod/aktifkan": ["cara aktifin cod", "gimana nyalain cod di toko", "mau buka fitur cod"],
    "tanya_cod/paket_ditolak": [
        "paket cod ditolak pembeli",
        "pembeli nolak paket cod gimana",
        "cod sy ditolak kurir balik",
    ],
    "tanya_ongkir/cek_tarif": ["ongkir ke medan berapa", "cek ongkir ke bali", "tarif kirim brp"],
    "sapa": ["halo kak", "pagi kak", "hai"],
}
RESPONSES = {
    "utter_tanya_cod/aktifkan": [
        {
            "text": "Nyalakan COD di pengaturan jasa kirim.",
            "metadata": {"judul": "Cara aktifkan COD"},
        }
    ],
    "utter_tanya_cod/paket_ditolak": [
        {
            "text": "Paket gagal kirim kembali ke Kakak.\nOngkir retur menurut kebijakan platform.",
            "metadata": {"judul": "Paket COD ditolak pembeli"},
        }
    ],
    "utter_tanya_ongkir/cek_tarif": [{"text": "Cek tarif di aplikasi sebelum checkout."}],
}


def training_data() -> TrainingData:
    messages = []
    for key, texts in EXAMPLES.items():
        for text in texts:
            data = {TEXT: text, INTENT: key.split("/")[0]}
            if "/" in key:
                data[INTENT_RESPONSE_KEY] = key
            messages.append(Message(data=data))
    return TrainingData(messages, responses=RESPONSES)


@pytest.fixture()
def classifier(tmp_path: Path) -> AnswerClassifier:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = {
        **AnswerClassifier.get_default_config(),
        "dictionary": str(ROOT / "nlu" / "normalisasi.tsv"),
    }
    resource = Resource("answer_classifier")
    AnswerClassifier.create(config, storage, resource, context).train(training_data())
    # A fresh load, as the Rasa server does: nothing but the stored model.
    return AnswerClassifier.load(config, storage, resource, context)


def parse(classifier: AnswerClassifier, text: str) -> Message:
    message = Message(data={TEXT: text})
    classifier.process([message])
    return message


def test_topic_and_ranked_answers_in_the_response_selectors_format(
    classifier: AnswerClassifier,
) -> None:
    message = parse(classifier, "pembeli menolak paket cod sy")
    intent = message.get(INTENT)
    assert intent["name"] == "tanya_cod"
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == "tanya_cod"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    selector = message.get("response_selector")["default"]
    keys = [entry["intent_response_key"] for entry in selector["ranking"]]
    assert keys[0] == "tanya_cod/paket_ditolak"
    assert set(keys) == {k for k in EXAMPLES if "/" in k}
    assert selector["response"]["intent_response_key"] == "tanya_cod/paket_ditolak"
    assert selector["response"]["utter_action"] == "utter_tanya_cod/paket_ditolak"
    # The topic's confidence is the sum of its answers' probabilities.
    cod = sum(
        e["confidence"]
        for e in selector["ranking"]
        if e["intent_response_key"].startswith("tanya_cod/")
    )
    assert intent["confidence"] == pytest.approx(cod)


def test_the_answer_text_and_title_teach_words_no_example_has(
    classifier: AnswerClassifier,
) -> None:
    # "retur" and "gagal kirim" occur only in the answer text, never in an example.
    message = parse(classifier, "ongkir retur kalau gagal kirim")
    best = message.get("response_selector")["default"]["ranking"][0]
    assert best["intent_response_key"] == "tanya_cod/paket_ditolak"


def test_chat_spelling_is_read_as_the_word_it_stands_for(classifier: AnswerClassifier) -> None:
    message = parse(classifier, "gmn cr nyalain cod")
    assert message.get(INTENT)["name"] == "tanya_cod"
    best = message.get("response_selector")["default"]["ranking"][0]
    assert best["intent_response_key"] == "tanya_cod/aktifkan"


def test_a_message_without_one_known_word_gets_no_confidence(
    classifier: AnswerClassifier,
) -> None:
    assert parse(classifier, "asdfgh qwerty zxcv").get(INTENT)["confidence"] == 0.0
    assert parse(classifier, "halo kak").get(INTENT)["confidence"] > 0.5


def test_contact_details_do_not_decide_the_answer(classifier: AnswerClassifier) -> None:
    # "email", "gmail" and phone digits would otherwise pull a COD question elsewhere.
    message = parse(classifier, "cara aktifin cod? wa saya 0812-3456-7890, email sari@gmail.com")
    assert message.get(INTENT)["name"] == "tanya_cod"
    assert without_contacts("wa saya 0812-3456-7890, email sari@gmail.com ya").split() == [
        ",",
        "ya",
    ]
