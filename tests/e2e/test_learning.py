"""Learning in Telegram, end to end: catalogue → module → lesson parts → quiz → progress, with
state in the real database (a restarted bot continues a quiz where the seller left it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.cli import main
from bot.config import Settings
from bot.content.loader import load_catalogue
from bot.content.publish import CONTENT_DIR
from tests.harness import TOKEN, RunningBot, running_bot


def button_payloads(sent: object) -> list[str]:
    markup = getattr(sent, "reply_markup", None) or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def button_titles(sent: object) -> list[str]:
    markup = getattr(sent, "reply_markup", None) or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def command(bot: RunningBot, user_id: int, text: str) -> list[Any]:
    bot.emulator.inject_command(user_id, text)
    return await bot.reply(user_id)


async def press(bot: RunningBot, user_id: int, payload: str, sent: Any) -> list[Any]:
    assert payload in button_payloads(sent), (payload, button_payloads(sent))
    bot.emulator.inject_callback(user_id, payload, message_id=sent.message_id)
    return await bot.reply(user_id)


def first(payloads: list[str], prefix: str) -> str:
    return next(p for p in payloads if p.startswith(prefix))


COD = load_catalogue(CONTENT_DIR).module("cod")


async def test_catalogue_lists_every_module_with_pages(bot: RunningBot, user_id: int) -> None:
    [catalogue] = await command(bot, user_id, "/modul")
    assert catalogue.text.startswith("📚 Modul belajar AKAR (halaman 1/2)")
    titles = button_titles(catalogue)
    assert titles[0].startswith("💡 Saran: ")  # a fresh seller: the very first lesson
    assert titles[1].startswith("1. Memulai toko online (0/")
    [second_page] = await press(bot, user_id, "k:1", catalogue)
    assert any("Aturan jual beli online" in t for t in button_titles(second_page))


async def test_lesson_quiz_and_progress(bot: RunningBot, user_id: int) -> None:
    assert COD is not None
    lesson = COD.lessons[0]
    [catalogue] = await command(bot, user_id, "/modul")
    [module] = await press(bot, user_id, "m:cod", catalogue)
    assert module.text.startswith("📚 Modul 2: COD tanpa rugi")
    assert f"▫️ 1. {lesson.title}" in module.text

    [page] = await press(bot, user_id, first(button_payloads(module), "l:"), module)
    assert f"Bagian 1/{len(lesson.parts)}" in page.text
    assert lesson.parts[0].text[:60] in page.text
    for index in range(1, len(lesson.parts)):
        lanjut = first(button_payloads(page), "l:")
        if index > 1:  # from the second part on, "Kembali" comes first
            lanjut = [p for p in button_payloads(page) if p.startswith("l:")][1]
        [page] = await press(bot, user_id, lanjut, page)
        assert f"Bagian {index + 1}/{len(lesson.parts)}" in page.text
    assert "Sumber:" in page.text

    [question] = await press(bot, user_id, first(button_payloads(page), "q:"), page)
    for number, quiz in enumerate(lesson.quiz):
        assert quiz.question in question.text
        answers = [p for p in button_payloads(question) if p.startswith("a:")]
        right = next(p for p in answers if p.endswith(f":{quiz.answer}"))
        reply = await press(bot, user_id, right, question)
        assert reply[0].text.startswith("✅ Benar, Kak!")
        assert quiz.explanation[:40] in reply[0].text
        if number + 1 < len(lesson.quiz):
            [question] = await press(bot, user_id, first(button_payloads(reply[0]), "q:"), reply[0])
    summary = reply[-1]
    assert f"Skor kuis Kakak: {len(lesson.quiz)}/{len(lesson.quiz)}" in summary.text
    assert "Pelajaran ini selesai ✅" in summary.text
    assert f"Modul 2: 1/{len(COD.lessons)} pelajaran selesai." in summary.text

    [progress] = await command(bot, user_id, "/progres")
    assert "2. COD tanpa rugi" in progress.text
    assert f"1/{len(COD.lessons)}" in progress.text
    [module] = await command(bot, user_id, "/modul")
    assert any(
        t.startswith(f"2. COD tanpa rugi (1/{len(COD.lessons)})") for t in button_titles(module)
    )


async def test_a_wrong_answer_shows_the_right_one(bot: RunningBot, user_id: int) -> None:
    assert COD is not None
    quiz = COD.lessons[1].quiz[0]
    [catalogue] = await command(bot, user_id, "/modul")
    [module] = await press(bot, user_id, "m:cod", catalogue)
    second = [p for p in button_payloads(module) if p.startswith("l:")][1]
    lesson_id = second.split(":")[1]
    bot.emulator.inject_callback(user_id, f"q:{lesson_id}:0")
    [question] = await bot.reply(user_id)
    wrong_key = next(key for key, _ in quiz.options if key != quiz.answer)
    [feedback] = await press(
        bot, user_id, first(button_payloads(question), "a:")[:-1] + wrong_key, question
    )
    right_text = dict(quiz.options)[quiz.answer]
    assert feedback.text.startswith(
        f"❌ Belum tepat. Jawaban yang benar: {quiz.answer}. {right_text}"
    )


async def test_a_restarted_bot_continues_the_quiz(settings: Settings, user_id: int) -> None:
    assert COD is not None
    lesson = COD.lessons[2]
    async with running_bot(settings) as bot:
        [catalogue] = await command(bot, user_id, "/modul")
        [module] = await press(bot, user_id, "m:cod", catalogue)
        third = [p for p in button_payloads(module) if p.startswith("l:")][2]
        await press(bot, user_id, third, module)
        bot.emulator.inject_callback(user_id, "q:" + third.split(":")[1] + ":0")
        [question] = await bot.reply(user_id)
        right = first(button_payloads(question), "a:")[:-1] + lesson.quiz[0].answer
        reply = await press(bot, user_id, right, question)
        next_question = first(button_payloads(reply[0]), "q:")
    # A new process: nothing in memory, only the database.
    async with running_bot(settings) as bot:
        bot.emulator.inject_callback(user_id, next_question)
        [question] = await bot.reply(user_id)
        assert lesson.quiz[1].question in question.text
        [resume] = await command(bot, user_id, "/lanjut")
        assert lesson.title in resume.text


async def test_a_topic_answers_module_button_opens_the_module(
    bot: RunningBot, user_id: int
) -> None:
    bot.emulator.inject_text(user_id, "ongkir dihitung dari apa aja kak")
    sent = await bot.reply(user_id)
    [module] = await press(bot, user_id, '/lihat_modul{"topik":"ongkir"}', sent[-1])
    assert module.text.startswith("📚 Modul 3: Ongkos kirim dan logistik")


async def test_wanting_to_learn_in_words_shows_the_catalogue(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "mau lanjut belajar modul kak")
    [catalogue] = await bot.reply(user_id)
    assert catalogue.text.startswith("📚 Modul belajar AKAR")


async def test_tampered_learning_buttons_get_a_friendly_message(
    bot: RunningBot, user_id: int
) -> None:
    for data in ("l:999999:0", "a:999999:a", "m:tidak_ada", "q:999999:5"):
        bot.emulator.inject_callback(user_id, data)
        [reply] = await bot.reply(user_id)
        assert reply.text.startswith("Maaf, Kak, materi ini sudah tidak tersedia")


async def finish_module(bot: RunningBot, user_id: int, key: str) -> list[Any]:
    """Answers every quiz of a module right, through the buttons; returns the last reply."""
    module = load_catalogue(CONTENT_DIR).module(key)
    assert module is not None
    bot.emulator.inject_callback(user_id, f"m:{key}")
    [page] = await bot.reply(user_id)
    lesson_buttons = [p for p in button_payloads(page) if p.startswith("l:")]
    reply: list[Any] = []
    for lesson, opener in zip(module.lessons, lesson_buttons, strict=True):
        lesson_id = opener.split(":")[1]
        bot.emulator.inject_callback(user_id, f"q:{lesson_id}:0")
        [question] = await bot.reply(user_id)
        for number, quiz in enumerate(lesson.quiz):
            right = first(button_payloads(question), "a:")[:-1] + quiz.answer
            reply = await press(bot, user_id, right, question)
            if number + 1 < len(lesson.quiz):
                [question] = await press(
                    bot, user_id, first(button_payloads(reply[0]), "q:"), reply[0]
                )
    return reply


async def test_finishing_a_module_sends_a_verifiable_certificate(
    bot: RunningBot,
    user_id: int,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = await finish_module(bot, user_id, "pembayaran")
    texts = [m.text or "" for m in reply]
    assert any("🎓 Selamat, Kak! Modul 11" in t for t in texts)
    [document] = [m for m in reply if m.method == "sendDocument"]
    assert document.caption is not None
    assert document.caption.startswith("🎓 Sertifikat untuk Kak")
    code = document.caption.rsplit("Kode verifikasi: ", 1)[1].strip()
    sent_file = document.message["document"]
    assert sent_file["file_name"] == f"sertifikat-{code.lower()}.pdf"
    # Download it back through the Bot API, as a seller's Telegram app would.
    async with httpx.AsyncClient() as client:
        found = await client.get(
            f"{bot.emulator.base_url}{TOKEN}/getFile", params={"file_id": sent_file["file_id"]}
        )
        path = found.json()["result"]["file_path"]
        pdf = await client.get(f"{bot.emulator.url}/file/bot{TOKEN}/{path}")
    assert pdf.content.startswith(b"%PDF")

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["certificate", "verify", code.lower()]) == 0
    assert f"VALID: {code}" in capsys.readouterr().out
    assert main(["certificate", "verify", "AKAR-XXXX-XXXX"]) == 1

    # The module page now offers the certificate again.
    [catalogue] = await command(bot, user_id, "/modul")
    [page] = await press(bot, user_id, "k:1", catalogue)
    [module] = await press(bot, user_id, "m:pembayaran", page)
    assert "c:pembayaran" in button_payloads(module)


async def test_first_start_invites_to_a_skippable_profile(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_command(user_id, "/start", first_name="Sari")
    sent = await bot.reply(user_id)
    invitation = sent[-1]
    assert invitation.text.startswith("Boleh kenalan dulu, Kak?")
    [question] = await press(bot, user_id, "o:start", invitation)
    assert question.text.startswith("Profil 1/6")
    bot.emulator.inject_text(user_id, "Bu Sari")
    [question] = await bot.reply(user_id)
    assert question.text.startswith("Profil 2/6")
    [question] = await press(bot, user_id, "o:shop:none", question)
    [question] = await press(bot, user_id, "o:plat:lz", question)
    [question] = await press(bot, user_id, "o:plat:sp", question)
    assert "✅ Lazada" in button_titles(question) and "✅ Shopee" in button_titles(question)
    [question] = await press(bot, user_id, "o:plat:done", question)
    [question] = await press(bot, user_id, "o:clu:kul", question)
    bot.emulator.inject_text(user_id, "Garut")
    [question] = await bot.reply(user_id)
    done = await press(bot, user_id, "o:exp:baru", question)
    assert done[0].text.startswith("Terima kasih, Kak!")
    summary = done[-1].text
    for expected in ("Bu Sari", "Lazada, Shopee", "Kuliner", "Garut", "Baru mulai"):
        assert expected in summary
    # A second /start does not ask again; /profil shows the profile.
    bot.emulator.inject_command(user_id, "/start", first_name="Sari")
    sent = await bot.reply(user_id)
    assert not any((m.text or "").startswith("Boleh kenalan") for m in sent)
    [profile] = await command(bot, user_id, "/profil")
    assert "Garut" in profile.text
    # The messages were answers, not questions for the NLU.
    statuses = {m["text"]: m["delivery_status"] for m in await bot.incoming(user_id)}
    assert statuses["Bu Sari"] == "profile" and statuses["Garut"] == "profile"


async def test_a_question_instead_of_an_answer_goes_to_the_nlu(
    bot: RunningBot, user_id: int
) -> None:
    bot.emulator.inject_command(user_id, "/start", first_name="Dedi")
    sent = await bot.reply(user_id)
    await press(bot, user_id, "o:start", sent[-1])
    bot.emulator.inject_text(user_id, "kak gmn cr aktifin cod di toko sy?")
    sent = await bot.reply(user_id)
    assert '/lihat_modul{"topik":"cod"}' in button_payloads(sent[-1])


async def test_recent_questions_shape_the_suggested_lesson(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "berat volume itu apa sih kak")
    await bot.reply(user_id)
    [catalogue] = await command(bot, user_id, "/modul")
    ongkir = load_catalogue(CONTENT_DIR).module("ongkir")
    assert ongkir is not None
    assert f"💡 Saran belajar: Modul 3 · {ongkir.lessons[0].title}" in catalogue.text
    assert button_titles(catalogue)[0].startswith("💡 Saran:")
