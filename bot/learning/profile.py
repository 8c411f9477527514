"""Onboarding profile: a few skippable questions, asked one at a time, answers kept in the DB.

A hand-rolled step machine rather than python-telegram-bot's ConversationHandler or a Rasa form:
the current step lives in `seller_profiles.step`, so a bot restart mid-way loses nothing, the
terminal chat gets the same flow, and free-text answers (name, shop, city) never reach the NLU
(see docs/ARCHITECTURE.md). Button data: "o:<step>:<value>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Seller, SellerProfile, utcnow
from bot.rendering import Button, OutgoingMessage

STEPS: Final = ("nickname", "shop", "platforms", "cluster", "city", "experience")
TEXT_STEPS: Final = frozenset({"nickname", "shop", "city"})
PLATFORMS: Final = {
    "lz": "Lazada",
    "sp": "Shopee",
    "tp": "Tokopedia",
    "tt": "TikTok Shop",
    "bl": "Bukalapak",
    "bb": "Blibli",
}
# The three AKAR product clusters, plus everything else.
CLUSTERS: Final = {
    "fes": "Fesyen dan tekstil",
    "kul": "Kuliner",
    "kra": "Kerajinan",
    "lain": "Lainnya",
}
EXPERIENCE: Final = {
    "belum": "Belum punya toko online",
    "baru": "Baru mulai",
    "jalan": "Sudah berjalan",
}
MAX_TEXT: Final = {"nickname": 64, "shop": 120, "city": 120}
_PATTERN: Final = re.compile(
    r"^o:(?P<step>start|skip|skipall|nick|shop|plat|clu|exp)(?::(?P<value>[a-z]{1,5}))?$"
)
_HAS_LETTER: Final = re.compile(r"[^\W\d_]", re.UNICODE)

INTRO = (
    "Boleh kenalan dulu, Kak? Ada 6 pertanyaan singkat (±1 menit) supaya saran belajarnya "
    "pas untuk Kakak. Semua boleh dilewati, dan bisa diubah kapan saja lewat /profil."
)


@dataclass(frozen=True)
class ProfileAction:
    step: str
    value: str | None = None


def parse(data: str) -> ProfileAction | None:
    match = _PATTERN.match(data or "")
    return ProfileAction(match["step"], match["value"]) if match else None


def _row(*buttons: Button) -> tuple[Button, ...]:
    return tuple(buttons)


SKIP = _row(Button("Lewati", "o:skip"))


def get_profile(session: Session, seller_id: int) -> SellerProfile | None:
    return session.scalars(
        select(SellerProfile).where(SellerProfile.seller_id == seller_id)
    ).first()


def _profile(session: Session, seller_id: int) -> SellerProfile:
    profile = get_profile(session, seller_id)
    if profile is None:
        profile = SellerProfile(seller_id=seller_id, platforms=[])
        session.add(profile)
        session.flush()
    return profile


def needs_onboarding(session: Session, seller_id: int) -> bool:
    profile = get_profile(session, seller_id)
    return profile is None or (profile.completed_at is None and profile.step is None)


def awaiting_text(session: Session, seller_id: int) -> bool:
    profile = get_profile(session, seller_id)
    return profile is not None and profile.step in TEXT_STEPS


MAX_ANSWER_WORDS: Final = 6


def looks_like_answer(text: str) -> bool:
    """A name, shop or city is a few words; a question is longer or asks something."""
    return "?" not in text and len(text.split()) <= MAX_ANSWER_WORDS


def close_question(session: Session, seller_id: int) -> None:
    """The seller moved on (asked something else): stop waiting for the answer."""
    profile = get_profile(session, seller_id)
    if profile is not None and profile.step is not None:
        profile.step = None
        profile.updated_at = utcnow()


def invitation() -> list[OutgoingMessage]:
    buttons = (_row(Button("Isi profil", "o:start"), Button("Nanti saja", "o:skipall")),)
    return [OutgoingMessage(text=INTRO, buttons=buttons)]


def _question(profile: SellerProfile, seller: Seller) -> list[OutgoingMessage]:
    step = profile.step
    number = STEPS.index(step) + 1 if step in STEPS else 0
    head = f"Profil {number}/{len(STEPS)} · "
    if step == "nickname":
        buttons = (_row(Button(f"Pakai nama {seller.first_name}"[:40], "o:nick:tg")), SKIP)
        return [OutgoingMessage(head + "Kakak mau dipanggil siapa? Ketik namanya.", buttons)]
    if step == "shop":
        buttons = (_row(Button("Belum punya toko", "o:shop:none")), SKIP)
        return [OutgoingMessage(head + "Apa nama toko Kakak? Ketik namanya.", buttons)]
    if step == "platforms":
        chosen = set(profile.platforms or [])
        rows = [
            _row(Button(("✅ " if name in chosen else "") + name, f"o:plat:{code}"))
            for code, name in PLATFORMS.items()
        ]
        rows.append(_row(Button("Selesai memilih ➡️", "o:plat:done")))
        text = head + "Jualan di marketplace mana saja? Pilih semua yang sesuai, lalu Selesai."
        return [OutgoingMessage(text, tuple(rows))]
    if step == "cluster":
        rows = [_row(Button(name, f"o:clu:{code}")) for code, name in CLUSTERS.items()]
        return [OutgoingMessage(head + "Produk Kakak termasuk kelompok apa?", (*rows, SKIP))]
    if step == "city":
        return [OutgoingMessage(head + "Kakak berjualan dari kota/kabupaten mana?", (SKIP,))]
    if step == "experience":
        rows = [_row(Button(name, f"o:exp:{code}")) for code, name in EXPERIENCE.items()]
        return [OutgoingMessage(head + "Sudah sejauh mana jualan online-nya?", (*rows, SKIP))]
    return summary(profile)


def summary(profile: SellerProfile | None) -> list[OutgoingMessage]:
    def shown(value: str | None) -> str:
        return value or "-"

    if profile is None:
        return invitation()
    lines = [
        "Profil Kakak:",
        f"• Nama panggilan: {shown(profile.nickname)}",
        f"• Toko: {shown(profile.shop_name)}",
        f"• Marketplace: {', '.join(profile.platforms) if profile.platforms else '-'}",
        f"• Kelompok produk: {shown(CLUSTERS.get(profile.cluster or ''))}",
        f"• Kota: {shown(profile.city)}",
        f"• Pengalaman: {shown(EXPERIENCE.get(profile.experience or ''))}",
    ]
    buttons = (
        _row(Button("✏️ Ubah profil", "o:start")),
        _row(Button("📚 Modul belajar", "k:0")),
    )
    return [OutgoingMessage("\n".join(lines), buttons)]


def _advance(profile: SellerProfile) -> None:
    index = STEPS.index(profile.step) if profile.step in STEPS else -1
    if index + 1 < len(STEPS):
        profile.step = STEPS[index + 1]
    else:
        profile.step = None
        profile.completed_at = utcnow()
    profile.updated_at = utcnow()


def _finish(profile: SellerProfile) -> list[OutgoingMessage]:
    done = [OutgoingMessage("Terima kasih, Kak! Profilnya sudah tersimpan 🙏")]
    return done + summary(profile)


def handle_button(session: Session, seller: Seller, action: ProfileAction) -> list[OutgoingMessage]:
    profile = _profile(session, seller.id)
    if action.step == "start":
        profile.step, profile.updated_at = STEPS[0], utcnow()
        return _question(profile, seller)
    if action.step == "skipall":
        profile.step = None
        profile.completed_at = profile.completed_at or utcnow()
        return [
            OutgoingMessage(
                "Oke, Kak. Profil bisa diisi kapan saja lewat /profil.",
                (_row(Button("📚 Modul belajar", "k:0")),),
            )
        ]
    expected = {"nick": "nickname", "shop": "shop", "plat": "platforms", "clu": "cluster"}
    expected["exp"] = "experience"
    if action.step != "skip" and expected.get(action.step) != profile.step:
        # A button from an earlier question: show where the seller really is.
        return _question(profile, seller) if profile.step else summary(profile)
    if profile.step is None:
        return summary(profile)
    value = action.value
    if action.step == "nick" and value == "tg":
        profile.nickname = seller.first_name[:64]
    elif action.step == "shop" and value == "none":
        profile.shop_name = None
        profile.experience = profile.experience or "belum"
    elif action.step == "plat":
        if value in PLATFORMS:
            chosen = list(profile.platforms or [])
            name = PLATFORMS[value]
            profile.platforms = (
                [p for p in chosen if p != name] if name in chosen else [*chosen, name]
            )
            profile.updated_at = utcnow()
            return _question(profile, seller)
    elif action.step == "clu" and value in CLUSTERS:
        profile.cluster = value
    elif action.step == "exp" and value in EXPERIENCE:
        profile.experience = value
    _advance(profile)
    return _question(profile, seller) if profile.step else _finish(profile)


def handle_text(session: Session, seller: Seller, text: str) -> list[OutgoingMessage]:
    profile = _profile(session, seller.id)
    step = profile.step
    if step not in TEXT_STEPS:
        return summary(profile)
    cleaned = " ".join(text.split())
    if not _HAS_LETTER.search(cleaned) or len(cleaned) > MAX_TEXT[step]:
        retry = OutgoingMessage(
            f"Maaf, Kak, jawabannya belum bisa saya simpan. Tulis singkat saja "
            f"(maksimal {MAX_TEXT[step]} huruf), atau tekan Lewati."
        )
        return [retry, *_question(profile, seller)]
    if step == "nickname":
        profile.nickname = cleaned
    elif step == "shop":
        profile.shop_name = cleaned
    else:
        profile.city = cleaned
    _advance(profile)
    return _question(profile, seller) if profile.step else _finish(profile)


def show(session: Session, seller: Seller) -> list[OutgoingMessage]:
    """/profil: the current question if one is open, else the profile."""
    profile = get_profile(session, seller.id)
    if profile is not None and profile.step:
        return _question(profile, seller)
    return summary(profile)
