"""Custom actions (actions/) run against real rasa_sdk trackers and dispatchers, plus the
contract that domain.yml's answers keep with the Telegram front end (buttons, payload sizes)."""

from __future__ import annotations

import inspect
import pkgutil
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from ruamel.yaml import YAML

import actions
from actions.fallback import ActionTawarkanTopik, candidate_topics, consecutive_misses
from actions.labels import DEFAULT_TOPICS, MAX_PAYLOAD_BYTES, MAX_TITLE_CHARS, TOPIC_LABELS
from actions.route import route_from, route_text
from actions.welcome import ActionSelamatDatang

ROOT = Path(__file__).resolve().parent.parent
MAX_ANSWER_CHARS = 900

CONTRACT_INTENTS = {
    "tanya_cod",
    "tanya_ongkir",
    "tanya_algoritma",
    "tanya_pemasaran_digital",
    "tanya_listing_produk",
    "tanya_harga",
    "tanya_retur_komplain",
    "tanya_pembayaran",
    "tanya_keamanan_akun",
    "tanya_aturan_hukum",
    "tanya_daftar_toko",
    "tanya_program_akar",
    "lihat_modul",
    "sapa",
    "terima_kasih",
    "pamit",
    "minta_bantuan_manusia",
    "bot_challenge",
    "di_luar_topik",
    "setuju",
    "tidak",
    "mulai",
    "tanya_lagi",
}


def load_yaml(relative: str) -> Any:
    with (ROOT / relative).open(encoding="utf-8") as f:
        return YAML(typ="safe", pure=True).load(f)


def merged_domain() -> dict[str, Any]:
    """domain/*.yml merged the way Rasa merges them (lists and mappings combined)."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        part = load_yaml(str(path.relative_to(ROOT))) or {}
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


# Responses that ask or explain within the weight form: the next step is the seller's answer.
FORM_PROMPTS = {
    "utter_ask_berat",
    "utter_ask_dimensi",
    "utter_berat_tidak_terbaca",
    "utter_dimensi_tidak_terbaca",
    "utter_hitung_berat_gagal",
}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    loaded: dict[str, Any] = merged_domain()
    return loaded


def tracker(
    latest_message: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as the action server builds it from Rasa's request."""
    return Tracker.from_dict(
        {
            "sender_id": "7000000001",
            "slots": slots or {},
            "latest_message": latest_message,
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(
    action: Action, latest_message: dict[str, Any], events: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    returned = await action.run(dispatcher, tracker(latest_message, events), {})
    assert returned == []
    messages: list[dict[str, Any]] = dispatcher.messages
    return messages


def payloads(message: dict[str, Any]) -> list[str]:
    return [b["payload"] for b in message.get("buttons") or []]


def assert_telegram_safe(buttons: list[dict[str, Any]], intents: set[str]) -> None:
    for b in buttons:
        payload, title = b["payload"], b["title"]
        assert payload.startswith("/") and payload[1:].split("{")[0] in intents, payload
        assert len(payload.encode("utf-8")) <= MAX_PAYLOAD_BYTES, payload
        assert 0 < len(title) <= MAX_TITLE_CHARS, title


# --- welcome (/start) ---------------------------------------------------------------------------


async def test_welcome_greets_the_seller_by_first_name() -> None:
    [message] = await run(
        ActionSelamatDatang(),
        {"intent": {"name": "mulai"}, "metadata": {"first_name": "Sari", "telegram_user_id": 42}},
    )
    assert message["text"].startswith("Halo, Kak Sari!")
    assert "COD" in message["text"] and "ongkir" in message["text"]
    assert "modul" in message["text"]
    assert payloads(message) == ["/tanya_cod", "/tanya_ongkir", "/tanya_algoritma", "/lihat_modul"]


@pytest.mark.parametrize(
    "metadata",
    [None, {}, {"telegram_user_id": 42}, {"first_name": None}, {"first_name": "   "}, "garbage"],
)
async def test_welcome_without_a_usable_name_is_still_friendly(metadata: Any) -> None:
    latest: dict[str, Any] = {"intent": {"name": "mulai"}}
    if metadata is not None:
        latest["metadata"] = metadata
    [message] = await run(ActionSelamatDatang(), latest)
    assert message["text"].startswith("Halo, Kak! 👋")
    assert payloads(message)


async def test_welcome_does_not_say_kak_twice() -> None:
    # The terminal chat calls its local user "Kak".
    [message] = await run(ActionSelamatDatang(), {"metadata": {"first_name": "Kak"}})
    assert message["text"].startswith("Halo, Kak! 👋")


async def test_welcome_tidies_long_or_spaced_names() -> None:
    [message] = await run(
        ActionSelamatDatang(), {"metadata": {"first_name": "  Siti\n  Nurhaliza " + "x" * 80}}
    )
    greeting = message["text"].split("!")[0]
    assert greeting.startswith("Halo, Kak Siti Nurhaliza")
    assert len(greeting) <= len("Halo, Kak ") + 30


async def test_welcome_without_latest_message() -> None:
    dispatcher = CollectingDispatcher()
    empty = Tracker("1", {}, None, [], False, None, {}, None)
    await ActionSelamatDatang().run(dispatcher, empty, {})
    assert dispatcher.messages[0]["text"].startswith("Halo, Kak! 👋")


# --- fallback (nlu_fallback) --------------------------------------------------------------------


def user_turn(intent: str) -> dict[str, Any]:
    return {"event": "user", "text": "...", "parse_data": {"intent": {"name": intent}}}


def ranking(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


async def test_fallback_offers_the_two_likeliest_topics_and_bukan_keduanya() -> None:
    latest = {
        "text": "kl barang dibalikin duitnya gmn",
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": ranking(
            ("nlu_fallback", 0.6),
            ("tanya_retur_komplain", 0.45),
            ("tanya_pembayaran", 0.38),
            ("terima_kasih", 0.1),
        ),
    }
    [message] = await run(ActionTawarkanTopik(), latest, [user_turn("nlu_fallback")])
    assert "Maksud Kakak tentang" in message["text"]
    assert payloads(message) == ["/tanya_retur_komplain", "/tanya_pembayaran", "/nlu_fallback"]
    titles = [b["title"] for b in message["buttons"]]
    assert titles == ["Retur & komplain", "Saldo & pembayaran", "Bukan keduanya"]


async def test_fallback_pads_weak_guesses_with_the_most_asked_topics() -> None:
    latest = {
        "text": "kl barang dibalikin duitnya gmn",
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": ranking(
            ("nlu_fallback", 0.6), ("tanya_retur_komplain", 0.45), ("tanya_harga", 0.05)
        ),
    }
    [message] = await run(ActionTawarkanTopik(), latest, [user_turn("nlu_fallback")])
    assert payloads(message) == ["/tanya_retur_komplain", "/tanya_cod", "/nlu_fallback"]


async def test_fallback_without_candidates_offers_cod_and_ongkir() -> None:
    latest = {
        "text": "asdfgh qwerty",
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": ranking(("nlu_fallback", 0.6), ("sapa", 0.3), ("pamit", 0.2)),
    }
    [message] = await run(ActionTawarkanTopik(), latest, [user_turn("nlu_fallback")])
    assert payloads(message) == ["/tanya_cod", "/tanya_ongkir", "/nlu_fallback"]


async def test_second_miss_in_a_row_offers_a_person() -> None:
    history = [
        user_turn("tanya_cod"),
        {"event": "bot", "text": "COD artinya ..."},
        user_turn("nlu_fallback"),
        {"event": "action", "name": "action_tawarkan_topik"},
        {"event": "bot", "text": "Maksud Kakak tentang:"},
        user_turn("nlu_fallback"),  # another unclear message, or "Bukan keduanya"
    ]
    [message] = await run(ActionTawarkanTopik(), {"intent": {"name": "nlu_fallback"}}, history)
    assert "tim pendamping" in message["text"]
    assert payloads(message) == ["/minta_bantuan_manusia", "/tanya_lagi"]


async def test_an_understood_message_resets_the_miss_count() -> None:
    history = [user_turn("nlu_fallback"), user_turn("tanya_ongkir"), user_turn("nlu_fallback")]
    [message] = await run(ActionTawarkanTopik(), {"intent": {"name": "nlu_fallback"}}, history)
    assert "Maksud Kakak tentang" in message["text"]
    assert consecutive_misses(history) == 1
    assert consecutive_misses([]) == 0
    assert consecutive_misses([{"event": "user", "parse_data": None}]) == 0


async def test_fallback_copes_with_missing_or_malformed_ranking() -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"intent_ranking": None},
        {"intent_ranking": [{"name": 3}, {}]},
    ]
    for latest in cases:
        [message] = await run(ActionTawarkanTopik(), latest)
        assert payloads(message) == ["/tanya_cod", "/tanya_ongkir", "/nlu_fallback"]


def test_candidates_keep_ranking_order_skip_duplicates_and_respect_the_limit() -> None:
    ranked = ranking(
        ("tanya_harga", 0.5),
        ("tanya_harga", 0.5),
        ("di_luar_topik", 0.4),
        ("tanya_ongkir", 0.3),
        ("tanya_listing_produk", 0.2),
        ("tanya_cod", 0.15),
    )
    assert candidate_topics(ranked) == ["tanya_harga", "tanya_ongkir"]
    assert candidate_topics(ranked, limit=3) == [
        "tanya_harga",
        "tanya_ongkir",
        "tanya_listing_produk",
    ]
    assert candidate_topics(None) == list(DEFAULT_TOPICS[:2])


def test_every_topic_button_fits_telegram() -> None:
    ranked = ranking(*[(intent, 0.5) for intent in TOPIC_LABELS])
    for limit in range(1, len(TOPIC_LABELS) + 1):
        assert len(candidate_topics(ranked, limit=limit)) == limit
    for intent, title in TOPIC_LABELS.items():
        assert len(f"/{intent}".encode()) <= MAX_PAYLOAD_BYTES
        assert len(title) <= MAX_TITLE_CHARS


# --- ongkir route ------------------------------------------------------------------------------


def kota(value: str, role: str | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {"entity": "kota", "value": value}
    if role:
        entity["role"] = role
    return entity


def test_route_repeats_origin_and_destination() -> None:
    text = route_text(route_from([kota("Medan", "tujuan"), kota("Bandung", "asal")]))
    assert text is not None and text.startswith("Pengiriman dari Bandung ke Medan ya, Kak")


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        ([kota("makassar", "tujuan")], "Pengiriman ke Makassar ya"),
        ([kota("Surabaya", "asal")], "Pengiriman dari Surabaya ya"),
        ([kota("tangerang selatan", "tujuan")], "Pengiriman ke Tangerang Selatan ya"),
        ([kota("Medan"), kota("Batam")], "Pengiriman untuk Medan dan Batam ya"),
        (
            [
                kota("Jakarta", "asal"),
                kota("Medan", "tujuan"),
                {"entity": "platform", "value": "x"},
            ],
            "Pengiriman dari Jakarta ke Medan ya",
        ),
    ],
)
def test_route_wording(entities: list[dict[str, Any]], expected: str) -> None:
    text = route_text(route_from(entities))
    assert text is not None and text.startswith(expected)


@pytest.mark.parametrize(
    "entities",
    [[], None, [{"entity": "platform", "value": "Shopee"}], [kota("  ", "tujuan")]],
)
def test_route_says_nothing_without_a_city(entities: Any) -> None:
    assert route_text(route_from(entities)) is None


# --- registry and domain contract -------------------------------------------------------------


def registered_action_names() -> set[str]:
    """What the action server will register: every Action subclass in the package."""
    names: set[str] = set()
    for module_info in pkgutil.iter_modules(actions.__path__, "actions."):
        module = import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls is not Action and cls.__module__ == module.__name__:
                action: Any = cls()
                names.add(action.name())
    return names


def test_domain_custom_actions_are_exactly_the_implemented_ones(domain: dict[str, Any]) -> None:
    assert set(domain["actions"]) == registered_action_names()


def test_domain_has_the_contract_intents(domain: dict[str, Any]) -> None:
    assert set(domain["intents"]) == CONTRACT_INTENTS


def test_every_answer_is_phone_sized_plain_text_with_a_next_step(domain: dict[str, Any]) -> None:
    intents = set(domain["intents"]) | {"nlu_fallback"}
    for name, variations in domain["responses"].items():
        for variation in variations:
            text = variation["text"]
            assert len(text) <= MAX_ANSWER_CHARS, f"{name} is {len(text)} characters"
            for markup in ("**", "__", "`", "<b>", "<i>", "]("):
                assert markup not in text, f"{name} contains markup {markup!r}"
            if "/" in name:
                # Retrieval answers: action_jawab_topik adds the module and "Tanya lagi" buttons.
                assert not variation.get("buttons"), f"{name} brings its own buttons"
                continue
            if name in FORM_PROMPTS:
                continue
            assert variation.get("buttons"), f"{name} has no buttons"
            assert_telegram_safe(variation["buttons"], intents)


def test_topic_buttons_use_the_same_titles_everywhere(domain: dict[str, Any]) -> None:
    for name, variations in domain["responses"].items():
        for variation in variations:
            for b in variation.get("buttons") or []:
                intent = b["payload"][1:]
                if intent in TOPIC_LABELS:
                    assert b["title"] == TOPIC_LABELS[intent], f"{name}: {b['title']!r}"


def test_every_intent_has_a_rule() -> None:
    rules = load_yaml("stories/rules.yml")["rules"]
    ruled = {step["intent"] for rule in rules for step in rule["steps"] if "intent" in step}
    assert CONTRACT_INTENTS | {"nlu_fallback"} <= ruled
