"""Specific topic answers, module buttons, the chargeable-weight form and the two-stage fallback,
end to end: emulator → PTB Application → trained Rasa (ResponseSelector) → action server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.support import texts as support_texts
from tests.harness import RunningBot

ROOT = Path(__file__).resolve().parents[2]


def button_payloads(sent: object) -> list[str]:
    markup = getattr(sent, "reply_markup", None) or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def answer(response: str, platform: str | None = None) -> str:
    """The text of a response in domain/, optionally its variant for one platform."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            merged.update(YAML(typ="safe", pure=True).load(handle).get("responses") or {})
    for variation in merged[response]:
        conditions = variation.get("condition") or []
        values = {c["value"] for c in conditions}
        if (platform is None and not conditions) or (platform is not None and platform in values):
            return str(variation["text"])
    raise AssertionError(f"{response} has no variant for {platform}")


async def ask(bot: RunningBot, user_id: int, text: str) -> list[Any]:
    bot.emulator.inject_text(user_id, text)
    return await bot.reply(user_id)


async def press(bot: RunningBot, user_id: int, payload: str, sent: Any) -> list[Any]:
    assert payload in button_payloads(sent), button_payloads(sent)
    bot.emulator.inject_callback(user_id, payload, message_id=sent.message_id)
    return await bot.reply(user_id)


def words(text: str) -> str:
    return " ".join(text.split())


async def whole_answer(bot: RunningBot, user_id: int, sent: Any) -> str:
    """The answer as a seller reads it all: the first bubble (at most 400 characters, a
    phone screen), then, if there is more, what "Selengkapnya" sends."""
    assert len(sent.text) <= 400, sent.text
    more = [p for p in button_payloads(sent) if '{"lanjut":' in p]
    if not more:
        return str(sent.text)
    rest = await press(bot, user_id, more[0], sent)
    return f"{sent.text}\n{rest[-1].text}"


@pytest.mark.parametrize(
    ("question", "response", "module"),
    [
        ("kak gmn cr aktifin cod di toko sy", "utter_tanya_cod/aktifkan", "cod"),
        ("pembeli cod nolak paket, trs barangnya gmn kak", "utter_tanya_cod/paket_ditolak", "cod"),
        ("berat volume itu apa sih kak", "utter_tanya_ongkir/berat_volume", "ongkir"),
        ("toko sy sepi bgt knp ya", "utter_tanya_algoritma/toko_sepi", "algoritma"),
        ("cara ngitung hpp gmn kak", "utter_tanya_harga/hpp", "harga"),
        (
            "ada yg minta kode otp ngaku dr kurir",
            "utter_tanya_keamanan_akun/penipuan_otp",
            "keamanan_akun",
        ),
    ],
)
async def test_topic_question_gets_the_specific_answer_and_its_module_button(
    bot: RunningBot, user_id: int, question: str, response: str, module: str
) -> None:
    sent = await ask(bot, user_id, question)
    # The answer's own buttons ("Selengkapnya" if it is long, "📎 Sumber", the module, "Tanya
    # lagi"), then the 👍/👎 row (tests/e2e/test_support.py).
    sub = response.split("/")[1]
    topic = response.removeprefix("utter_").split("/")[0]
    payloads = button_payloads(sent[-1])
    assert payloads[-4:-2] == [f'/lihat_modul{{"topik":"{module}"}}', "/tanya_lagi"]
    assert payloads[-5] == f'/{topic}{{"sumber":"{sub}"}}'
    assert [p[:2] for p in payloads[-2:]] == ["f:", "f:"]
    assert words(await whole_answer(bot, user_id, sent[-1])) == words(answer(response))


async def test_a_named_platform_gets_the_platform_answer(bot: RunningBot, user_id: int) -> None:
    sent = await ask(bot, user_id, "gmn cara aktifin cod di shopee kak")
    text = words(await whole_answer(bot, user_id, sent[-1]))
    assert text == words(answer("utter_tanya_cod/aktifkan", "Shopee"))
    assert text != words(answer("utter_tanya_cod/aktifkan"))


LAZADA_QUESTION = "pembeli cod nolak paket di lazada, ongkir baliknya siapa yg bayar"


async def test_lazada_sellers_get_the_lazada_answer(bot: RunningBot, user_id: int) -> None:
    """AKAR is Lazada's programme: a Lazada question gets Lazada's own rule, not "cek Seller
    Center" (issue #14)."""
    sent = await ask(bot, user_id, LAZADA_QUESTION)
    assert "Lazada" in sent[-1].text
    text = await whole_answer(bot, user_id, sent[-1])
    assert words(text) == words(answer("utter_tanya_cod/paket_ditolak", "Lazada"))


async def test_sources_button_shows_where_the_answer_comes_from(
    bot: RunningBot, user_id: int
) -> None:
    sent = await ask(bot, user_id, LAZADA_QUESTION)
    shown = await press(bot, user_id, '/tanya_cod{"sumber":"paket_ditolak"}', sent[-1])
    assert shown[-1].text.startswith("📎 Sumber jawaban ini:")
    assert "BigSeller" in shown[-1].text and "Dicek terakhir:" in shown[-1].text


def title_of(key: str) -> str:
    """An answer's button title (metadata.judul of its first variation in domain/)."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            merged.update(YAML(typ="safe", pure=True).load(handle).get("responses") or {})
    return str(merged[f"utter_{key}"][0]["metadata"]["judul"])


async def test_close_answers_are_asked_about_and_the_choice_is_answered(
    bot: RunningBot, user_id: int
) -> None:
    # "harga jual" could mean the platform's fees or the cost price (HPP): two close answers.
    sent = await ask(bot, user_id, "harga jual")
    assert sent[-1].text.startswith("Maksud Kakak yang mana?")
    markup = sent[-1].reply_markup["inline_keyboard"]
    choices = [(b["text"], b["callback_data"]) for row in markup for b in row]
    assert 2 <= len(choices) <= 3
    for title, payload in choices:
        assert payload.startswith('/tanya_harga{"jawaban":"')
        sub = payload.removeprefix('/tanya_harga{"jawaban":"').removesuffix('"}')
        assert title == title_of(f"tanya_harga/{sub}")
    # The second choice, not the model's favourite: the seller's pick is what gets answered.
    title, payload = choices[1]
    sub = payload.removeprefix('/tanya_harga{"jawaban":"').removesuffix('"}')
    chosen = await press(bot, user_id, payload, sent[-1])
    assert answer(f"utter_tanya_harga/{sub}").startswith(chosen[-1].text)
    assert {'/lihat_modul{"topik":"harga"}', "/tanya_lagi"} <= set(button_payloads(chosen[-1]))
    assert f'/tanya_harga{{"sumber":"{sub}"}}' in button_payloads(chosen[-1])


async def test_module_button_opens_the_module(bot: RunningBot, user_id: int) -> None:
    sent = await ask(bot, user_id, "cod itu apa kak")
    reply = await press(bot, user_id, '/lihat_modul{"topik":"cod"}', sent[-1])
    assert reply[0].text.startswith("📚 Modul 2: COD tanpa rugi")
    payloads = button_payloads(reply[-1])
    assert payloads[-1] == "k:0" and all(p.startswith("l:") for p in payloads[:-1])


async def test_weight_and_size_in_one_question_get_the_calculation(
    bot: RunningBot, user_id: int
) -> None:
    sent = await ask(bot, user_id, "paket 1,2 kg ukuran 40x30x20 cm ongkirnya diitung brp kg")
    text = sent[-1].text
    assert "40 × 30 × 20 ÷ 6000 = 4 kg" in text and "ditagih 4 kg" in text
    assert button_payloads(sent[-1])[0] == '/lihat_modul{"topik":"ongkir"}'


async def test_a_missing_weight_is_asked_for_then_calculated(bot: RunningBot, user_id: int) -> None:
    sent = await ask(bot, user_id, "kardus sy 30x20x10 cm, nanti kena brp kg ya")
    assert sent[-1].text == answer("utter_ask_berat")
    sent = await ask(bot, user_id, "1,5 kg")
    assert "Berat asli: 1,5 kg" in sent[-1].text and "ditagih 2 kg" in sent[-1].text
    # The slots are cleared: the next size question starts from scratch.
    sent = await ask(bot, user_id, "kalau kardus 20x20x20 cm kena brp kg")
    assert sent[-1].text == answer("utter_ask_berat")


async def test_an_unreadable_answer_is_asked_again_and_batal_cancels(
    bot: RunningBot, user_id: int
) -> None:
    await ask(bot, user_id, "kardus sy 30x20x10 cm, nanti kena brp kg ya")
    sent = await ask(bot, user_id, "gatau kak lupa")
    assert answer("utter_berat_tidak_terbaca") in [m.text for m in sent]
    sent = await ask(bot, user_id, "batal")
    assert sent[-1].text == answer("utter_batal_hitung")
    sent = await ask(bot, user_id, "cod itu apa kak")
    assert answer("utter_tanya_cod/apa_itu").startswith(sent[-1].text)


async def test_two_misses_lead_to_the_offer_of_a_person(bot: RunningBot, user_id: int) -> None:
    sent = await ask(bot, user_id, "asdfgh qwerty zxcv")
    assert "Maksud Kakak tentang" in sent[-1].text
    payloads = button_payloads(sent[-1])
    assert len(payloads) == 3 and payloads[-1] == "/nlu_fallback"
    assert all(p.startswith("/tanya_") for p in payloads[:2])

    offer = await press(bot, user_id, "/nlu_fallback", sent[-1])  # "Bukan keduanya"
    assert "tim pendamping" in offer[-1].text
    handoff = await press(bot, user_id, "/minta_bantuan_manusia", offer[-1])
    assert handoff[-1].text == support_texts.HANDOFF_STARTED  # the bot's own reply, not Rasa's
    intents = [m["intent"] for m in await bot.incoming(user_id)]
    assert intents == ["nlu_fallback", "nlu_fallback", "minta_bantuan_manusia"]


async def test_a_suggested_topic_button_answers_that_topic(bot: RunningBot, user_id: int) -> None:
    sent = await ask(bot, user_id, "asdfgh qwerty zxcv")
    topic = button_payloads(sent[-1])[0]
    reply = await press(bot, user_id, topic, sent[-1])
    module = topic.removeprefix("/tanya_")
    assert button_payloads(reply[-1])[-2:] == [f'/lihat_modul{{"topik":"{module}"}}', "/tanya_lagi"]


async def test_out_of_scope_gets_a_polite_scope_reply(bot: RunningBot, user_id: int) -> None:
    sent = await ask(bot, user_id, "kak resep rendang padang gimana")
    assert sent[-1].text == answer("utter_di_luar_topik")
    assert "khusus membantu soal jualan online" in sent[-1].text
