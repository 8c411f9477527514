"""Topic answers, the chargeable-weight calculation and the module button, run against real
rasa_sdk trackers and dispatchers (the way the action server calls them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from ruamel.yaml import YAML

from actions import answer_text
from actions.answer_text import FIRST_BUBBLE_CHARS, split_for_chat
from actions.chargeable_weight import (
    COURIER_DIVISORS,
    DEFAULT_DIVISOR,
    chargeable_weight,
    courier_divisor,
    explain,
    format_number,
    parse_dimensions,
    parse_weight,
    round_up_kg,
)
from actions.labels import (
    MAX_PAYLOAD_BYTES,
    MAX_TITLE_CHARS,
    MODULES,
    TOPIC_LABELS,
    answer_choice_button,
    module_button,
)
from actions.modules import ActionLihatModul
from actions.topic_answer import (
    CLARIFY_RATIO,
    CLARIFY_TEXT,
    ActionHitungBerat,
    ActionJawabTopik,
    chosen_response,
)
from actions.weight_form import ValidateHitungBeratForm

ROOT = Path(__file__).resolve().parent.parent


def tracker(
    latest: dict[str, Any],
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "7000000001",
            "slots": slots or {},
            "latest_message": latest,
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(
    action: Action,
    latest: dict[str, Any],
    slots: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    domain: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(latest, slots, history), domain or {})
    return dispatcher.messages, events


def domain_with_titles() -> dict[str, Any]:
    """The real domain's answers (with their titles), as Rasa sends them to the action server."""
    responses: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        responses.update(YAML(typ="safe", pure=True).load(path.read_text()).get("responses") or {})
    return {"responses": responses}


def selector(*ranked: tuple[str, float]) -> dict[str, Any]:
    """Rasa's `response_selector` block for one selector over every retrieval intent."""
    ranking = [{"intent_response_key": key, "confidence": c} for key, c in ranked]
    return {
        "all_retrieval_intents": sorted({key.split("/")[0] for key, _ in ranked}),
        "default": {
            "response": {
                "intent_response_key": ranked[0][0],
                "utter_action": f"utter_{ranked[0][0]}",
                "confidence": ranked[0][1],
            },
            "ranking": ranking,
        },
    }


def message(intent: str, text: str = "...", entities: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": entities or [],
        **extra,
    }


def entity(name: str, value: str, role: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"entity": name, "value": value}
    if role:
        found["role"] = role
    return found


# --- choosing the answer -------------------------------------------------------------------------


async def test_close_answers_get_a_question_with_their_titles_instead_of_a_guess() -> None:
    latest = message(
        "tanya_cod",
        "cod ditolak terus gmn",
        response_selector=selector(
            ("tanya_cod/paket_ditolak", 0.6),
            ("tanya_cod/kurangi_retur", 0.6 * CLARIFY_RATIO + 0.01),
            ("tanya_cod/pesanan_fiktif", 0.6 * CLARIFY_RATIO - 0.01),
        ),
    )
    sent, events = await run(ActionJawabTopik(), latest, domain=domain_with_titles())
    assert len(sent) == 1 and sent[0]["text"] == CLARIFY_TEXT
    assert sent[0]["buttons"] == [
        {"title": "Paket COD ditolak pembeli", "payload": '/tanya_cod{"jawaban":"paket_ditolak"}'},
        {
            "title": "Cara mencegah paket COD ditolak",
            "payload": '/tanya_cod{"jawaban":"kurangi_retur"}',
        },
    ]
    assert events == []


async def test_a_clear_winner_is_answered_without_asking() -> None:
    latest = message(
        "tanya_cod",
        response_selector=selector(
            ("tanya_cod/paket_ditolak", 0.8), ("tanya_cod/biaya", 0.8 * CLARIFY_RATIO - 0.01)
        ),
    )
    sent, _ = await run(ActionJawabTopik(), latest, domain=domain_with_titles())
    assert sent[0]["text"] == split_for_chat(domain_text("tanya_cod/paket_ditolak"))[0]


async def test_a_chosen_answer_is_sent_without_asking_again() -> None:
    # The button's payload skips the NLU: no response_selector, only the `jawaban` entity.
    latest = message(
        "tanya_cod", '/tanya_cod{"jawaban":"kurangi_retur"}', [entity("jawaban", "kurangi_retur")]
    )
    sent, _ = await run(ActionJawabTopik(), latest, domain=domain_with_titles())
    assert [m["text"] for m in sent] == [split_for_chat(domain_text("tanya_cod/kurangi_retur"))[0]]
    assert sent[0]["buttons"][-1]["title"] == "Tanya lagi"


def domain_text(key: str, platform: str | None = None) -> str:
    for variation in domain_with_titles()["responses"][f"utter_{key}"]:
        values = {c["value"] for c in variation.get("condition") or []}
        if (platform is None and not values) or platform in values:
            return str(variation["text"])
    raise AssertionError(key)


# --- a long answer in two bubbles, and its sources ------------------------------------------------


async def test_a_long_answer_ends_its_first_bubble_with_more_and_sources_buttons() -> None:
    key = "tanya_cod/paket_ditolak"
    full = domain_text(key, "Lazada")
    latest = message("tanya_cod", response_selector=selector((key, 0.9)))
    sent, _ = await run(
        ActionJawabTopik(), latest, {"platform": "Lazada"}, domain=domain_with_titles()
    )
    assert len(sent) == 1 and len(sent[0]["text"]) <= FIRST_BUBBLE_CHARS
    assert full.startswith(sent[0]["text"])
    payloads = [b["payload"] for b in sent[0]["buttons"]]
    assert payloads[:2] == [
        '/tanya_cod{"lanjut":"paket_ditolak"}',
        '/tanya_cod{"sumber":"paket_ditolak"}',
    ]
    # "Selengkapnya": the rest, with the sources, module and "Tanya lagi" buttons.
    more = message("tanya_cod", payloads[0], [entity("lanjut", "paket_ditolak")])
    rest, _ = await run(
        ActionJawabTopik(), more, {"platform": "Lazada"}, domain=domain_with_titles()
    )
    assert " ".join(f"{sent[0]['text']}\n{rest[0]['text']}".split()) == " ".join(full.split())
    assert rest[0]["buttons"][0]["title"] == "📎 Sumber"


async def test_sources_button_lists_the_answers_sources() -> None:
    key = "tanya_cod/paket_ditolak"
    latest = message("tanya_cod", "/tanya_cod", [entity("sumber", "paket_ditolak")])
    sent, _ = await run(ActionJawabTopik(), latest, domain=domain_with_titles())
    text = sent[0]["text"]
    default = domain_with_titles()["responses"][f"utter_{key}"][0]
    sources = default["metadata"]["sumber"]
    assert text.startswith("📎 Sumber jawaban ini:")
    assert all(str(s["penerbit"]) in text for s in sources)
    assert "Dicek terakhir: November 2026." in text


def test_the_first_bubble_takes_whole_lines_up_to_the_limit() -> None:
    text = "A" * 150 + "\n" + "B" * 150 + "\n" + "C" * 150
    assert split_for_chat(text) == ("A" * 150 + "\n" + "B" * 150, "C" * 150)
    assert split_for_chat("pendek saja") == ("pendek saja", "")
    long_line = "Kalimat pertama cukup panjang. " * 20
    first, rest = split_for_chat(long_line)
    assert len(first) <= FIRST_BUBBLE_CHARS and first.endswith(".")
    assert " ".join((first + " " + rest).split()) == " ".join(long_line.split())


def test_the_platform_variant_wins_and_sources_fall_back_to_the_default() -> None:
    variations = [
        {
            "text": "umum",
            "metadata": {"sumber": [{"penerbit": "P", "judul": "J", "dicek": "2026-11"}]},
        },
        {"text": "lazada", "condition": [{"type": "slot", "name": "platform", "value": "Lazada"}]},
    ]
    lazada = answer_text.variation_for(variations, {"platform": "Lazada"})
    assert lazada is not None and lazada["text"] == "lazada"
    assert answer_text.variation_for(variations, {"platform": "Shopee"}) == variations[0]
    sources = answer_text.sources_of(variations, lazada)
    assert [s.publisher for s in sources] == ["P"]
    text = answer_text.sources_text(sources)
    assert "• P: J" in text and "Dicek terakhir: November 2026." in text
    assert answer_text.indonesian_date("2025-09-24") == "24 September 2025"


@pytest.mark.parametrize("value", ["tidak_ada", "aktifkan/../x", "cek_tarif"])
async def test_a_tampered_or_foreign_choice_falls_back_to_the_overview(value: str) -> None:
    # cek_tarif is an ongkir answer: a COD button may not open it.
    latest = message("tanya_cod", "/tanya_cod", [entity("jawaban", value)])
    sent, _ = await run(ActionJawabTopik(), latest, domain=domain_with_titles())
    assert [m["response"] for m in sent] == ["utter_cod"]


def test_every_answer_has_a_choice_button_within_telegrams_limits() -> None:
    responses = domain_with_titles()["responses"]
    keys = [
        name.removeprefix("utter_")
        for name in responses
        if name.startswith("utter_tanya_") and "/" in name
    ]
    assert len(keys) >= 98
    for key in keys:
        title = responses[f"utter_{key}"][0]["metadata"]["judul"]
        assert len(answer_choice_button(key, title)["payload"].encode()) <= MAX_PAYLOAD_BYTES


def test_the_best_answer_inside_the_topic_wins_over_another_topics_answer() -> None:
    latest = message(
        "tanya_cod",
        response_selector=selector(
            ("tanya_ongkir/siapa_bayar", 0.5), ("tanya_cod/biaya", 0.3), ("tanya_cod/risiko", 0.1)
        ),
    )
    assert chosen_response(latest, "tanya_cod") == "utter_tanya_cod/biaya"
    assert chosen_response(latest, "tanya_ongkir") == "utter_tanya_ongkir/siapa_bayar"
    assert chosen_response(latest, "tanya_harga") is None
    assert chosen_response({}, "tanya_cod") is None
    assert chosen_response({"response_selector": {"default": None}}, "tanya_cod") is None


async def test_topic_answer_is_the_selected_response_with_the_module_button() -> None:
    latest = message(
        "tanya_cod", "cara aktifin cod gmn", response_selector=selector(("tanya_cod/aktifkan", 0.9))
    )
    [answer], events = await run(ActionJawabTopik(), latest)
    assert answer["response"] == "utter_tanya_cod/aktifkan"
    assert [b["payload"] for b in answer["buttons"]] == [
        '/lihat_modul{"topik":"cod"}',
        "/tanya_lagi",
    ]
    assert answer["buttons"][0]["title"] == "📚 Modul COD"
    assert events == []


async def test_topic_button_without_text_gets_the_topic_overview() -> None:
    [answer], _ = await run(ActionJawabTopik(), message("tanya_algoritma", "/tanya_algoritma"))
    assert answer["response"] == "utter_algoritma"
    assert answer["buttons"][0]["payload"] == '/lihat_modul{"topik":"algoritma"}'


async def test_non_topic_intent_is_handed_to_the_fallback() -> None:
    messages, events = await run(ActionJawabTopik(), message("sapa"))
    assert messages == []
    assert events == [FollowupAction("action_tawarkan_topik")]


async def test_ongkir_with_a_route_repeats_it_before_the_answer() -> None:
    latest = message(
        "tanya_ongkir",
        "ongkir ke mks dr bdg brp",
        [entity("kota", "Makassar", "tujuan"), entity("kota", "Bandung", "asal")],
        response_selector=selector(("tanya_ongkir/cek_tarif", 0.8)),
    )
    [route, answer], events = await run(ActionJawabTopik(), latest)
    assert route["text"].startswith("Pengiriman dari Bandung ke Makassar ya, Kak")
    assert answer["response"] == "utter_tanya_ongkir/cek_tarif"
    assert events == [SlotSet("berat", None), SlotSet("dimensi", None)]


# --- chargeable weight ---------------------------------------------------------------------------


async def test_ongkir_with_weight_and_size_gets_the_calculation() -> None:
    latest = message(
        "tanya_ongkir",
        "paket 1,2 kg ukuran 40x30x20 cm kena brp kg",
        [entity("berat", "1,2 kg"), entity("dimensi", "40x30x20 cm")],
        response_selector=selector(("tanya_ongkir/hitung_berat", 0.9)),
    )
    [answer], events = await run(ActionJawabTopik(), latest)
    assert "40 × 30 × 20 ÷ 6000 = 4 kg" in answer["text"]
    assert "ditagih 4 kg" in answer["text"]
    assert "cek ketentuan kurir" in answer["text"]
    assert answer["buttons"][0]["payload"] == '/lihat_modul{"topik":"ongkir"}'
    assert events == [SlotSet("berat", None), SlotSet("dimensi", None)]


# The courier's volumetric divisor: JNE 6000, J&T Cargo 5000 (fact sheet), others 6000 + caveat.


async def test_jne_uses_jne_divisor_6000_and_names_it() -> None:
    latest = message(
        "tanya_ongkir",
        "kirim pakai jne 2 kg ukuran 50x40x30 brp kg",
        [entity("kurir", "JNE"), entity("berat", "2 kg"), entity("dimensi", "50x40x30")],
        response_selector=selector(("tanya_ongkir/hitung_berat", 0.9)),
    )
    [answer], _ = await run(ActionJawabTopik(), latest)
    assert "50 × 40 × 30 ÷ 6000 = 10 kg" in answer["text"]
    assert "ditagih 10 kg" in answer["text"]
    assert "JNE memakai pembagi 6000" in answer["text"]
    assert "belum bisa saya pastikan" not in answer["text"]


async def test_jnt_cargo_uses_5000_even_when_the_entity_is_only_jnt() -> None:
    latest = message(
        "tanya_ongkir",
        "kirim j&t cargo 2 kg 50x40x30 kena brp kg",
        # The extractor may capture only "j&t" (synonym J&T Express): "cargo" in the text decides.
        [entity("kurir", "J&T Express"), entity("berat", "2 kg"), entity("dimensi", "50x40x30")],
        response_selector=selector(("tanya_ongkir/hitung_berat", 0.9)),
    )
    [answer], _ = await run(ActionJawabTopik(), latest)
    assert "50 × 40 × 30 ÷ 5000 = 12 kg" in answer["text"]
    assert "ditagih 12 kg" in answer["text"]
    assert "J&T Cargo memakai pembagi 5000" in answer["text"]


async def test_unknown_courier_gets_6000_with_the_caveat() -> None:
    latest = message(
        "tanya_ongkir",
        "pake sicepat 2 kg 50x40x30 brp kg",
        [entity("kurir", "SiCepat"), entity("berat", "2 kg"), entity("dimensi", "50x40x30")],
        response_selector=selector(("tanya_ongkir/hitung_berat", 0.9)),
    )
    [answer], _ = await run(ActionJawabTopik(), latest)
    assert "50 × 40 × 30 ÷ 6000 = 10 kg" in answer["text"]
    assert "Pembagi berat volume SiCepat belum bisa saya pastikan" in answer["text"]
    assert "cek ketentuan kurir" in answer["text"]


async def test_the_form_uses_the_courier_named_in_the_question_that_started_it() -> None:
    events = [
        {
            "event": "user",
            "text": "ongkir jnt cargo 50x40x30 brp",
            "parse_data": {
                "intent": {"name": "tanya_ongkir"},
                "entities": [entity("kurir", "J&T Cargo"), entity("dimensi", "50x40x30")],
            },
        },
        {"event": "action", "name": "action_jawab_topik"},
        {"event": "action", "name": "hitung_berat_form"},
        {"event": "active_loop", "name": "hitung_berat_form"},
        {"event": "user", "text": "2 kg", "parse_data": {"entities": []}},
    ]
    [answer], _ = await run(
        ActionHitungBerat(),
        message("tanya_ongkir", "2 kg"),
        {"berat": "2 kg", "dimensi": "50x40x30"},
        events,
    )
    assert "÷ 5000 = 12 kg" in answer["text"] and "J&T Cargo" in answer["text"]


@pytest.mark.parametrize(
    ("couriers", "text", "expected"),
    [
        (["JNE"], "", ("JNE", 6000, True)),
        (["jne"], "", ("JNE", 6000, True)),
        (["Pos Indonesia"], "", ("Pos Indonesia", 6000, True)),
        (["J&T Cargo"], "", ("J&T Cargo", 5000, True)),
        (["J&T Express"], "jnt kargo", ("J&T Cargo", 5000, True)),
        (["J&T Express"], "j&t biasa", ("J&T Express", DEFAULT_DIVISOR, False)),
        (["AnterAja"], "", ("AnterAja", DEFAULT_DIVISOR, False)),
        ([], "kargo", (None, DEFAULT_DIVISOR, False)),
    ],
)
def test_courier_divisor_table(
    couriers: list[str], text: str, expected: tuple[str | None, int, bool]
) -> None:
    chosen = courier_divisor(couriers, [text])
    assert (chosen.courier, chosen.value, chosen.confirmed) == expected
    assert set(COURIER_DIVISORS) == {"JNE", "Pos Indonesia", "J&T Cargo"}


@pytest.mark.parametrize(
    ("entities", "sub"),
    [
        ([entity("dimensi", "30x20x10")], "cek_tarif"),
        ([entity("berat", "2 kg")], "hitung_berat"),
        ([entity("berat", "2 kg")], "berat_volume"),
    ],
)
async def test_a_half_given_size_starts_the_form(entities: list[dict[str, Any]], sub: str) -> None:
    latest = message(
        "tanya_ongkir", entities=entities, response_selector=selector((f"tanya_ongkir/{sub}", 0.9))
    )
    messages, events = await run(ActionJawabTopik(), latest)
    assert messages == []
    assert events == [FollowupAction("hitung_berat_form")]


async def test_weight_alone_in_a_price_question_does_not_start_the_form() -> None:
    latest = message(
        "tanya_ongkir",
        "kirim 1 kg ke medan brp",
        [entity("berat", "1 kg"), entity("kota", "Medan", "tujuan")],
        response_selector=selector(("tanya_ongkir/cek_tarif", 0.9)),
    )
    messages, _ = await run(ActionJawabTopik(), latest)
    assert messages[-1]["response"] == "utter_tanya_ongkir/cek_tarif"


async def test_the_form_result_is_calculated_and_the_slots_cleared() -> None:
    [answer], events = await run(
        ActionHitungBerat(),
        message("tanya_ongkir"),
        {"berat": "800 gram", "dimensi": "20 x 15 x 10"},
    )
    assert "ditagih 1 kg" in answer["text"]
    assert events == [SlotSet("berat", None), SlotSet("dimensi", None)]
    [answer], _ = await run(ActionHitungBerat(), message("tanya_ongkir"), {"berat": "??"})
    assert answer["response"] == "utter_hitung_berat_gagal"


def test_form_validation_accepts_readable_answers_and_asks_again_otherwise() -> None:
    form = ValidateHitungBeratForm()
    dispatcher = CollectingDispatcher()
    empty = tracker(message("tanya_ongkir"))
    assert form.validate_berat("1,5kg", dispatcher, empty, {}) == {"berat": "1,5kg"}
    assert form.validate_berat("berat nya 2", dispatcher, empty, {}) == {"berat": None}
    assert form.validate_dimensi("30 x 20 x 10 cm", dispatcher, empty, {}) == {
        "dimensi": "30 x 20 x 10 cm"
    }
    assert form.validate_dimensi("gede bgt", dispatcher, empty, {}) == {"dimensi": None}
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_berat_tidak_terbaca",
        "utter_dimensi_tidak_terbaca",
    ]


@pytest.mark.parametrize(
    ("text", "kg", "assumed"),
    [
        ("1,5kg", 1.5, False),
        ("1.5 kilo", 1.5, False),
        ("500 gram", 0.5, False),
        ("300gr", 0.3, False),
        ("2 ons", 0.2, False),
        ("paket 2 kg ukuran 30x20x10 cm", 2, False),
        ("1,2", 1.2, True),
        ("750", 0.75, True),
    ],
)
def test_weights_in_the_forms_sellers_write(text: str, kg: float, assumed: bool) -> None:
    weight = parse_weight(text)
    assert weight is not None and weight.kg == pytest.approx(kg) and weight.assumed_unit is assumed


@pytest.mark.parametrize("text", ["", "2 kali", "30x20x10", "x10 promo", "0 kg", "5000 kg"])
def test_non_weights_are_not_read_as_weights(text: str) -> None:
    assert parse_weight(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "30x20x10",
        "30 x 20 x 10 cm",
        "30*20*10cm",
        "30×20×10",
        "p30 l20 t10",
        "30 20 10",
        "0,3x0,2x0,1 m",
    ],
)
def test_dimensions_in_the_forms_sellers_write(text: str) -> None:
    dims = parse_dimensions(text)
    assert dims is not None and dims.volume_cm3 == pytest.approx(6000)


@pytest.mark.parametrize("text", ["", "30x20", "gede", "1 kg", "0x20x10", "30x20x5000"])
def test_non_dimensions_are_rejected(text: str) -> None:
    assert parse_dimensions(text) is None


def test_rounding_and_tolerance() -> None:
    assert round_up_kg(0.2) == 1
    assert round_up_kg(1.0) == 1
    assert round_up_kg(1.01) == 2
    assert round_up_kg(1.3, tolerance_kg=0.3) == 1
    assert round_up_kg(1.31, tolerance_kg=0.3) == 2


def test_actual_weight_wins_for_a_small_heavy_parcel() -> None:
    weight, dims = parse_weight("3 kg"), parse_dimensions("20x10x10")
    assert weight is not None and dims is not None
    result = chargeable_weight(weight, dims)
    assert not result.volumetric_wins and result.billed_kg == 3
    text = explain(result, dims, weight)
    assert "(berat asli)" in text and "kardus" not in text
    assert format_number(0.333) == "0,33" and format_number(2.0) == "2"


def test_tolerance_example_is_mentioned_only_when_it_changes_the_result() -> None:
    weight, dims = parse_weight("1,25 kg"), parse_dimensions("10x10x10")
    assert weight is not None and dims is not None
    result = chargeable_weight(weight, dims)
    assert result.billed_kg == 2 and result.billed_kg_with_example_tolerance == 1
    assert "misalnya kelebihan" in explain(result, dims, weight)


# --- modules --------------------------------------------------------------------------------------


def test_every_topic_has_a_module_button_that_fits_telegram() -> None:
    for intent in TOPIC_LABELS:
        button = module_button(intent)
        assert len(button["payload"].encode()) <= MAX_PAYLOAD_BYTES
        assert len(button["title"]) <= MAX_TITLE_CHARS
    assert module_button("tanya_program_akar")["payload"] == "/lihat_modul"
    assert len({m.number for m in MODULES}) == len(MODULES)


async def test_module_button_asks_the_front_end_for_that_module() -> None:
    latest = message("lihat_modul", entities=[entity("topik", "ongkir")])
    [answer], _ = await run(ActionLihatModul(), latest)
    assert answer["custom"] == {"akar_view": "module", "module": "ongkir"}


@pytest.mark.parametrize("entities", [[], [entity("topik", "tidak_ada")], None])
async def test_module_catalogue_without_a_known_topic(entities: Any) -> None:
    [answer], _ = await run(ActionLihatModul(), message("lihat_modul", entities=entities))
    assert answer["custom"] == {"akar_view": "catalogue"}
