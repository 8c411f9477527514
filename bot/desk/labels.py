"""What staff read for the codes the database stores: handoff states, message statuses and
message kinds, in Indonesian, one place for every page (inbox, conversation, queue).

tests/desk/test_labels.py collects every status and kind the code writes (from the source, so a
new one cannot slip through) and checks that each has a label here.
"""

from __future__ import annotations

from typing import Final

# `Seller.handoff_state` (bot/support/handoff.py): the same words on every page.
HANDOFF_NAMES: Final = {
    "requested": "minta dibantu tim",
    "staff": "diambil alih staf",
}
HANDOFF_TITLES: Final = {
    "requested": "Penjual minta dibantu tim; asisten otomatis diam sampai chat dikembalikan",
    "staff": "Staf mengambil alih chat ini; asisten otomatis diam sampai chat dikembalikan",
}

# `Message.delivery_status`: what happened to an incoming message, or to an outgoing one.
STATUS_NAMES: Final = {
    # Incoming: answered by the assistant, or not.
    "answered": "dijawab",
    "fallback": "tidak dipahami",
    "rasa_unavailable": "asisten sedang gangguan",
    "no_reply": "tanpa jawaban",
    "too_long": "terlalu panjang",
    "no_words": "tanpa huruf atau angka",
    "unsupported": "jenis pesan tidak didukung",
    # Incoming: handoff.
    "handoff_requested": "minta dibantu tim",
    "handoff": "ditahan untuk staf",
    "handoff_ack": "ditahan untuk staf, diberi tanda terima",
    "handoff_ended": "kembali ke asisten",
    # Incoming: buttons and commands handled without the assistant.
    "feedback": "penilaian",
    "learning": "menu belajar",
    "profile": "profil",
    "whoami": "cek ID Telegram (/idsaya)",
    "help": "daftar bantuan (/bantuan, /help)",
    "opted_out": "berhenti terima siaran (/berhenti)",
    "opted_in": "terima siaran lagi (/mulai)",
    "compose": "pelatih menyusun siaran",
    "staff": "perintah peran (/peran)",
    "privacy": "data pribadi (/privasi, /hapusdata)",
    "stale_button": "tombol kedaluwarsa",
    "unknown_command": "perintah tidak dikenal",
    # Outgoing.
    "sent": "terkirim",
    "failed": "gagal terkirim",
    "blocked": "diblokir penjual",
}
# Shown in red: something went wrong for the seller.
PROBLEM_STATUSES: Final = frozenset(
    {"failed", "blocked", "fallback", "rasa_unavailable", "no_reply"}
)
# Not worth a badge: the normal outcome.
PLAIN_STATUSES: Final = frozenset({"answered", "sent"})

# `Message.kind` (bot.db.models.MessageKind, bot/handlers.py).
KIND_NAMES: Final = {
    "text": "teks",
    "edited": "diedit",
    "command": "perintah",
    "callback": "tombol",
    "photo": "foto",
    "sticker": "stiker",
    "voice": "pesan suara",
    "video": "video",
    "document": "berkas",
    "location": "lokasi",
    "contact": "kontak",
    "other": "jenis lain",
}
