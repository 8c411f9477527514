"""What sellers and support staff read about feedback and handoff (natural Indonesian)."""

from __future__ import annotations

from bot.rendering import Button

# Payloads: "/minta_bantuan_manusia" goes through Rasa like the other ways of asking for a
# person, so the transcript and Rasa's tracker record the intent; k:0 opens the module
# catalogue, which keeps working while automatic answers are paused.
ASK_TEAM = Button("Minta bantuan tim", "/minta_bantuan_manusia")
ASK_AGAIN = Button("Tanya lagi", "/tanya_lagi")
MODULES = Button("Lihat modul", "k:0")
BACK_TO_BOT = Button("Kembali ke asisten", "h:bot")

FEEDBACK_UP_TITLE = "👍"
FEEDBACK_DOWN_TITLE = "👎"

THANKS_UP = "Terima kasih, Kak! 🙏 Senang jawabannya membantu."
THANKS_DOWN = (
    "Maaf jawabannya kurang pas, Kak. Terima kasih sudah memberi tahu 🙏 "
    "Masukan ini kami pakai untuk memperbaiki jawaban.\n"
    "Mau ditanyakan langsung ke tim AKAR?"
)
THANKS_DOWN_IN_HANDOFF = (
    "Maaf jawabannya kurang pas, Kak. Terima kasih sudah memberi tahu 🙏 "
    "Tim AKAR sudah kami hubungi dan akan membalas di chat ini."
)
FEEDBACK_STALE = (
    "Maaf, Kak, tombol penilaian ini sudah tidak berlaku. Silakan ketik pertanyaan Kakak lagi, ya."
)

HANDOFF_STARTED = (
    "Baik, Kak 🙏 Permintaan Kakak sudah kami teruskan ke tim AKAR. "
    "Anggota tim akan membalas langsung di chat ini. "
    "Balasannya bisa butuh waktu, apalagi di luar jam kerja.\n\n"
    "Sambil menunggu, tulis saja detail masalahnya di sini. Selama itu asisten otomatis "
    "berhenti menjawab dulu, supaya pesan Kakak tidak tertukar."
)
HANDOFF_WAITING = (
    "Pesan Kakak sudah kami terima 🙏 Tim AKAR akan membalas di chat ini. "
    "Selama menunggu, asisten otomatis belum menjawab dulu."
)
HANDED_BACK = (
    "Kakak kembali dilayani asisten otomatis AKAR 😊 "
    "Silakan ketik pertanyaan Kakak kapan saja. "
    'Kalau perlu tim lagi, ketik saja "hubungi tim".'
)
HANDED_BACK_BY_SELLER = (
    "Baik, Kak. Kakak kembali dilayani asisten otomatis AKAR 😊 Silakan ketik pertanyaan Kakak, ya."
)
NOT_IN_HANDOFF = "Kakak sedang dilayani asisten otomatis AKAR. Silakan ketik pertanyaan Kakak, ya."


def staff_notification(first_name: str, username: str | None, last: str | None, link: str) -> str:
    """For the support team's Telegram chat: who asked, what they last wrote, where to answer.

    Plain text (no parse mode), so whatever the seller wrote is shown as is.
    """
    who = f"{first_name} (@{username})" if username else first_name
    quoted = f"“{last}”" if last else "(belum ada pesan teks)"
    return (
        f"🙋 {who} minta dibantu tim.\nPesan terakhir: {quoted}\nBalas lewat meja dukungan: {link}"
    )
