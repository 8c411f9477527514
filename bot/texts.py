"""Everything the bot itself (not Rasa's domain) says to a seller, in one place.

Topic answers live in `domain.yml`; these are the front end's own replies for input Rasa never
sees (stickers, photos, over-long text, stale buttons) and for outages.
"""

from __future__ import annotations

from bot.rendering import Button
from bot.support import texts as support_texts

TOPIC_BUTTONS: tuple[tuple[Button, ...], ...] = (
    (Button("Soal COD", "/tanya_cod"), Button("Soal ongkir", "/tanya_ongkir")),
    (Button("Toko sepi", "/tanya_algoritma"), Button("Lihat modul", "/lihat_modul")),
)

# /bantuan and /help: what the assistant can do, answered locally (no NLU), so it works while
# Rasa restarts and during a handoff. Two bubbles: the topics (a seller's usual first need,
# kept under 400 characters so it fits a phone screen) and then the commands. Only commands
# in the menu (bot/telegram_app.py BOT_COMMANDS) are named; tests/test_help.py checks that.
HELP_QUESTIONS = (
    "Halo, Kak! 👋 Saya asisten AKAR untuk jualan online.\n\n"
    "Kakak bisa langsung ketik pertanyaannya. Misalnya soal:\n"
    "• COD dan ongkir\n"
    "• toko sepi (algoritma)\n"
    "• listing produk, harga, dan promosi\n"
    "• pembayaran, retur & komplain\n"
    "• keamanan akun\n"
    "• aturan & pajak\n"
    "• buka toko dan program AKAR\n\n"
    'Contoh: "cara aktifkan COD".'
)
HELP_MORE = (
    "Kakak juga bisa belajar di sini:\n"
    "/modul – modul pelatihan AKAR\n"
    "/lanjut – lanjutkan pelajaran terakhir\n"
    "/progres – lihat progres belajar\n"
    "Selesaikan semua pelajaran dan kuis satu modul, Kakak dapat sertifikat 🎓\n\n"
    "Lainnya:\n"
    "/profil – lihat atau ubah profil\n"
    "/privasi – data apa yang kami simpan\n"
    "/hapusdata – hapus data Kakak\n"
    "/berhenti – berhenti terima siaran\n\n"
    'Mau dibantu orang? Tekan "Minta bantuan tim" atau ketik "hubungi tim".'
)
# Existing payloads only: /tanya_lagi is Rasa's topic menu with examples, k:0 the module
# catalogue (as /modul), /minta_bantuan_manusia the handoff (as typing "hubungi tim").
HELP_BUTTONS: tuple[tuple[Button, ...], ...] = (
    (Button("Contoh pertanyaan", support_texts.ASK_AGAIN.payload), support_texts.MODULES),
    (support_texts.ASK_TEAM,),
)

SERVICE_DOWN = (
    "Maaf, Kak 🙏 Sistem kami sedang ada gangguan, jadi saya belum bisa menjawab sekarang. "
    "Pesan Kakak sudah kami simpan. Coba kirim lagi beberapa menit lagi, ya."
)

# Webhook mode, when the database failed in the middle of a seller's message: it is retried
# by itself (bot/webhook/worker.py), so the seller need not send it again.
DELAYED_ANSWER = (
    "Maaf, Kak 🙏 Sistem kami sedang ada gangguan sebentar. Pesan Kakak sudah kami terima "
    "dan akan saya jawab begitu sistemnya pulih. Tidak perlu kirim ulang, ya."
)

TOO_LONG = (
    "Pesan Kakak panjang sekali 🙏 Supaya saya bisa bantu dengan tepat, coba tulis "
    'pertanyaannya lebih singkat, ya. Misalnya: "cara aktifkan COD".'
)

NO_WORDS = (
    "😊 Ada yang bisa saya bantu soal jualan online, Kak? "
    "Pilih topik di bawah atau ketik pertanyaan Kakak."
)

STALE_BUTTON = (
    "Tombol ini sudah tidak berlaku, Kak. "
    "Silakan ketik pertanyaan Kakak atau pilih dari menu di bawah, ya."
)

UNKNOWN_COMMAND = (
    "Perintah itu belum saya kenal, Kak. Ketik /start untuk mulai, "
    "atau langsung tulis pertanyaan Kakak."
)

UNSUPPORTED_BY_KIND: dict[str, str] = {
    "sticker": (
        "Stikernya lucu, Kak 😄 Tapi saya baru bisa membaca pesan teks. "
        "Silakan ketik pertanyaan Kakak soal jualan online, ya."
    ),
    "photo": (
        "Terima kasih fotonya, Kak. Maaf, saya belum bisa melihat gambar. "
        'Coba ceritakan lewat teks, ya. Misalnya: "foto produk yang bagus gimana?"'
    ),
    "voice": (
        "Maaf, Kak, saya belum bisa mendengarkan pesan suara. Boleh diketik saja pertanyaannya?"
    ),
    "video": ("Maaf, Kak, saya belum bisa menonton video. Boleh diketik saja pertanyaannya?"),
    "document": ("Maaf, Kak, saya belum bisa membuka file. Silakan ketik pertanyaan Kakak, ya."),
    "location": (
        "Terima kasih, Kak. Saya belum bisa memakai lokasi. Kalau mau tanya ongkir, "
        'ketik saja kota asal dan tujuannya. Misalnya: "ongkir dari Bandung ke Medan".'
    ),
    "contact": (
        "Terima kasih, Kak. Demi keamanan, kontak yang dikirim tidak saya simpan. "
        "Silakan ketik pertanyaan Kakak, ya."
    ),
}
UNSUPPORTED_OTHER = (
    "Maaf, Kak, jenis pesan ini belum bisa saya baca. Silakan ketik pertanyaan Kakak, ya."
)


def unsupported_text(kind: str) -> str:
    return UNSUPPORTED_BY_KIND.get(kind, UNSUPPORTED_OTHER)


BROADCAST_STOPPED = (
    "Baik, Kak. Kakak tidak akan menerima siaran dari tim AKAR lagi. "
    "Pertanyaan Kakak tetap saya jawab seperti biasa. "
    "Ketik /mulai kalau ingin menerima siaran lagi."
)
BROADCAST_RESUMED = "Siap, Kak! Siaran dan info pelatihan dari tim AKAR akan kami kirim lagi 🙌"

ADMIN_ONLY = "Maaf, perintah ini khusus admin AKAR."
ROLE_USAGE = (
    "Cara pakai: /peran ID_TELEGRAM PERAN\n"
    "PERAN: admin, trainer, support, atau hapus. Contoh: /peran 123456789 trainer"
)


def role_granted(user_id: int, role: str) -> str:
    return f"Beres. {user_id} sekarang {role}."


def role_revoked(user_id: int) -> str:
    return f"Peran {user_id} sudah dicabut."


def role_none(user_id: int) -> str:
    return f"{user_id} memang tidak punya peran."


def whoami(telegram_user_id: int) -> str:
    return (
        f"ID Telegram Kakak: {telegram_user_id}\n"
        "Berikan angka ini ke admin AKAR kalau Kakak perlu peran pelatih atau tim dukungan."
    )
