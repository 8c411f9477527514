"""/siaran: a trainer composes a broadcast in Telegram, one step at a time.

The draft lives in `broadcast_drafts` (one per trainer) like every other conversation state, so a
restart mid-way resumes where the trainer was. Steps: content -> button -> segment (city: the
trainer types a city) -> when (at: the trainer types a time) -> confirm. The role is checked
against the database on every input, so a revoked trainer stops at once.

Button data "s:<action>[:<arg>[:<value>]]", well under Telegram's 64 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.broadcast import outbox, roles, schedule
from bot.broadcast.city_zone import PROVINCE_NAMES, find_province
from bot.broadcast.message import CAPTION_LIMIT, TEXT_LIMIT, BroadcastContent, telegram_length
from bot.broadcast.segments import Segment, recipients
from bot.db.models import (
    MAX_ROW_ID,
    Broadcast,
    BroadcastDraft,
    ContentLesson,
    ContentModule,
    Role,
    utcnow,
)
from bot.formatting import number
from bot.learning.profile import CLUSTERS, EXPERIENCE, PLATFORMS
from bot.rendering import Button, OutgoingMessage

INPUT_STEPS: Final = frozenset({"content", "city", "province", "at"})
ACTIVE_DAYS: Final = (7, 14, 30, 90)
MAX_CITY: Final = 120
_DATA: Final = re.compile(
    r"^s:(?P<action>[a-z]{1,6})(?::(?P<arg>[a-z0-9_]{1,20}))?(?::(?P<value>[A-Za-z0-9_-]{1,24}))?$"
)

NOT_ALLOWED: Final = (
    "Maaf, Kak, fitur siaran khusus untuk pelatih AKAR. Kalau Kakak pelatih, minta admin "
    "memberi peran lewat /peran."
)
NO_DRAFT: Final = "Draf siarannya sudah tidak ada, Kak. Mulai lagi dengan /siaran."
ASK_CONTENT: Final = (
    "📣 Buat siaran baru\n\n"
    "Langkah 1/4 · Kirim isi siarannya, Kak:\n"
    "• teks biasa (boleh tebal, miring, atau tautan), atau\n"
    "• foto atau dokumen dengan keterangan.\n\n"
    "Ketik /batal kapan saja untuk membatalkan."
)
CANCEL: Final = Button("❌ Batal", "s:x")


@dataclass(frozen=True)
class Content:
    """What the trainer sent at the content step, as Telegram gave it."""

    text: str  # the visible text (or caption), for the length check
    html: str  # the same with its formatting, as Telegram HTML
    media_kind: str | None = None  # photo, document
    media_file_id: str | None = None


@dataclass(frozen=True)
class Trainer:
    telegram_user_id: int
    chat_id: int


def _say(text: str, *rows: tuple[Button, ...]) -> list[OutgoingMessage]:
    return [OutgoingMessage(text, tuple(rows))]


def is_trainer(session: Session, telegram_user_id: int) -> bool:
    return roles.role_of(session, telegram_user_id) in (Role.TRAINER, Role.ADMIN)


def draft_of(session: Session, telegram_user_id: int) -> BroadcastDraft | None:
    return session.scalars(
        select(BroadcastDraft).where(BroadcastDraft.telegram_user_id == telegram_user_id)
    ).first()


def awaiting_input(session: Session, telegram_user_id: int) -> bool:
    draft = draft_of(session, telegram_user_id)
    return draft is not None and draft.step in INPUT_STEPS


# --- starting and cancelling --------------------------------------------------------------------


def start(session: Session, trainer: Trainer) -> list[OutgoingMessage]:
    if not is_trainer(session, trainer.telegram_user_id):
        return _say(NOT_ALLOWED)
    draft = draft_of(session, trainer.telegram_user_id)
    if draft is not None:
        session.delete(draft)
        session.flush()
    session.add(
        BroadcastDraft(
            telegram_user_id=trainer.telegram_user_id,
            chat_id=trainer.chat_id,
            step="content",
            segment={},
        )
    )
    session.flush()
    return _say(ASK_CONTENT)


def cancel(session: Session, trainer: Trainer) -> list[OutgoingMessage] | None:
    """/batal: drops the draft; None when there is none (the command means something else)."""
    draft = draft_of(session, trainer.telegram_user_id)
    if draft is None:
        return None
    session.delete(draft)
    session.flush()
    return _say("Oke, Kak, draf siaran dibatalkan. Tidak ada yang terkirim.")


# --- screens ------------------------------------------------------------------------------------


def _modules(session: Session) -> list[ContentModule]:
    return list(
        session.scalars(
            select(ContentModule)
            .where(ContentModule.retired_at.is_(None))
            .order_by(ContentModule.number)
        )
    )


def _module_title(session: Session, key: str | None) -> str:
    module = session.scalars(select(ContentModule).where(ContentModule.key == key)).first()
    return module.title if module else (key or "-")


def _ask_button(session: Session) -> list[OutgoingMessage]:
    rows = [(Button(f"📚 {m.title}"[:60], f"s:mod:{m.key}"),) for m in _modules(session)]
    return _say(
        "Langkah 2/4 · Tambahkan tombol ke modul belajar? Penjual bisa langsung membukanya.",
        *rows,
        (Button("Tanpa tombol ➡️", "s:mod:none"),),
        (CANCEL,),
    )


def _ask_lesson(session: Session, module_key: str) -> list[OutgoingMessage]:
    lessons = session.scalars(
        select(ContentLesson)
        .join(ContentModule, ContentModule.id == ContentLesson.module_id)
        .where(ContentModule.key == module_key, ContentLesson.retired_at.is_(None))
        .order_by(ContentLesson.position)
    ).all()
    rows = [
        (Button(f"📖 {n}. {lesson.title}"[:60], f"s:les:{lesson.id}"),)
        for n, lesson in enumerate(lessons, 1)
    ]
    return _say(
        "Tombolnya membuka halaman modul, atau langsung satu pelajaran?",
        (Button("Halaman modul", "s:les:0"),),
        *rows,
        (CANCEL,),
    )


def describe(session: Session, segment: Segment) -> str:
    parts = []
    if segment.cluster:
        parts.append(f"kelompok {CLUSTERS.get(segment.cluster, segment.cluster)}")
    if segment.platform:
        parts.append(f"jualan di {segment.platform}")
    if segment.experience:
        parts.append(f"pengalaman: {EXPERIENCE.get(segment.experience, segment.experience)}")
    if segment.city:
        parts.append(f"kota/kabupaten: {segment.city}")
    if segment.province:
        parts.append(f"provinsi {PROVINCE_NAMES.get(segment.province, segment.province)}")
    if segment.enrolled_in:
        parts.append(f"ikut modul {_module_title(session, segment.enrolled_in)}")
    if segment.not_finished:
        parts.append(f"belum selesai modul {_module_title(session, segment.not_finished)}")
    if segment.active_days:
        parts.append(f"aktif {segment.active_days} hari terakhir")
    return ", ".join(parts) or "semua penjual"


def _audience_line(session: Session, segment: Segment) -> str:
    rows = recipients(session, segment)
    opted_out = sum(1 for row in rows if row[2])
    line = f"{number(len(rows) - opted_out)} penjual akan menerima"
    if opted_out:
        line += f" ({number(opted_out)} lainnya sudah /berhenti, tidak dikirimi)"
    return line + "."


def _segment_screen(session: Session, draft: BroadcastDraft) -> list[OutgoingMessage]:
    segment = Segment.from_json(draft.segment)
    text = (
        "Langkah 3/4 · 👥 Siapa penerimanya?\n"
        f"Filter: {describe(session, segment)}\n"
        f"Jumlah: {_audience_line(session, segment)}\n\n"
        "Tambah filter (semuanya digabung), atau tekan Lanjut."
    )
    return _say(
        text,
        (Button("Kelompok produk", "s:f:cluster"), Button("Marketplace", "s:f:platform")),
        (Button("Pengalaman", "s:f:experience"), Button("Kota", "s:f:city")),
        (Button("Provinsi", "s:f:province"),),
        (Button("Ikut modul", "s:f:enrolled"), Button("Belum selesai", "s:f:unfinished")),
        (Button("Aktif belakangan ini", "s:f:active"),),
        (Button("🔄 Hapus filter", "s:reset"), Button("Lanjut ➡️", "s:next")),
        (CANCEL,),
    )


def _filter_menu(session: Session, field: str) -> list[OutgoingMessage]:
    options: list[tuple[str, str]]
    if field == "cluster":
        options = list(CLUSTERS.items())
    elif field == "platform":
        options = list(PLATFORMS.items())
    elif field == "experience":
        options = list(EXPERIENCE.items())
    elif field in ("enrolled", "unfinished"):
        options = [(m.key, m.title) for m in _modules(session)]
    elif field == "active":
        options = [(str(days), f"{days} hari terakhir") for days in ACTIVE_DAYS]
    else:
        return []
    rows = [(Button(title[:60], f"s:v:{field}:{code}"),) for code, title in options]
    return _say(
        "Pilih salah satu:",
        *rows,
        (Button("Tanpa filter ini", f"s:v:{field}:-"), Button("⬅️ Kembali", "s:seg")),
    )


def _preview(session: Session, draft: BroadcastDraft) -> list[OutgoingMessage]:
    content = BroadcastContent.of(draft)
    return [
        OutgoingMessage("👀 Pratinjau: begini siaran yang akan diterima penjual."),
        content.outgoing(),
        *_say(
            "Langkah 4/4 · Kapan dikirim?",
            (Button("🚀 Sekarang", "s:now"), Button("🗓️ Jadwalkan", "s:at")),
            (Button("👥 Ubah penerima", "s:seg"), CANCEL),
        ),
    ]


def _when(draft: BroadcastDraft) -> str:
    if draft.scheduled_at is None:
        return "sekarang, begitu dikonfirmasi"
    return schedule.format_when_everywhere(draft.scheduled_at)


def _confirm_screen(session: Session, draft: BroadcastDraft) -> list[OutgoingMessage]:
    segment = Segment.from_json(draft.segment)
    if draft.lesson_id is not None:
        lesson = session.get(ContentLesson, draft.lesson_id)
        button = f"pelajaran {lesson.title}" if lesson else "-"
    elif draft.module_key:
        button = f"modul {_module_title(session, draft.module_key)}"
    else:
        button = "tidak ada"
    text = (
        "Siap dikirim, Kak?\n"
        f"• Penerima: {describe(session, segment)}; {_audience_line(session, segment)}\n"
        f"• Waktu: {_when(draft)}\n"
        f"• Tombol: {button}\n\n"
        "Penerimanya dihitung ulang saat pengiriman mulai."
    )
    return _say(
        text,
        (Button("✅ Kirim siaran", "s:ok"),),
        (Button("👥 Ubah penerima", "s:seg"), Button("🗓️ Ubah waktu", "s:next")),
        (CANCEL,),
    )


# --- input ----------------------------------------------------------------------------------


def _take_content(
    session: Session, draft: BroadcastDraft, content: Content | None
) -> list[OutgoingMessage]:
    if content is None or (not content.text.strip() and content.media_kind is None):
        return _say("Isi siarannya berupa teks, foto, atau dokumen ya, Kak.", (CANCEL,))
    limit = CAPTION_LIMIT if content.media_kind else TEXT_LIMIT
    length = telegram_length(content.text)
    if length > limit:
        kind = "Keterangan foto/dokumen" if content.media_kind else "Teksnya"
        return _say(
            f"{kind} terlalu panjang, Kak: {number(length)} huruf, "
            f"maksimal {number(limit)}. Persingkat lalu kirim lagi.",
            (CANCEL,),
        )
    draft.text, draft.parse_mode = content.html, "HTML"
    draft.media_kind, draft.media_file_id = content.media_kind, content.media_file_id
    draft.step = "button"
    return _ask_button(session)


def _take_city(session: Session, draft: BroadcastDraft, text: str) -> list[OutgoingMessage]:
    city = " ".join(text.split())
    if not city or len(city) > MAX_CITY:
        return _say("Tulis nama kotanya saja ya, Kak, misalnya: Bandung.", (CANCEL,))
    draft.segment = Segment.from_json({**(draft.segment or {}), "city": city}).to_json()
    draft.step = "segment"
    return _segment_screen(session, draft)


def _take_province(session: Session, draft: BroadcastDraft, text: str) -> list[OutgoingMessage]:
    code = find_province(text) if len(text) <= MAX_CITY else None
    if code is None:
        return _say(
            "Provinsinya belum saya kenali, Kak. Tulis nama provinsi, misalnya: Jawa Barat, "
            "Sulsel, atau NTT.",
            (Button("⬅️ Kembali", "s:seg"), CANCEL),
        )
    draft.segment = Segment.from_json({**(draft.segment or {}), "province": code}).to_json()
    draft.step = "segment"
    return _segment_screen(session, draft)


def _take_time(
    session: Session, draft: BroadcastDraft, text: str, now: datetime
) -> list[OutgoingMessage]:
    try:
        moment = schedule.parse_when(text)
    except ValueError as exc:
        return _say(str(exc), (Button("🚀 Kirim sekarang saja", "s:now"), CANCEL))
    if moment <= now:
        return _say(
            f"Waktu itu sudah lewat, Kak ({schedule.format_when(moment)}). Tulis waktu yang "
            f"akan datang, contoh: {schedule.EXAMPLE}.",
            (Button("🚀 Kirim sekarang saja", "s:now"), CANCEL),
        )
    draft.scheduled_at, draft.step = moment, "confirm"
    return _confirm_screen(session, draft)


def take_input(
    session: Session, trainer: Trainer, content: Content | None, now: datetime | None = None
) -> list[OutgoingMessage] | None:
    """A message from a trainer whose draft waits for typed input; None if no draft waits."""
    draft = draft_of(session, trainer.telegram_user_id)
    if draft is not None and draft.step == "button" and content and content.media_kind:
        # The rest of a photo album: Telegram delivers each photo as its own message.
        return _say(
            "Satu siaran membawa satu foto atau dokumen saja, Kak. Saya pakai yang pertama; "
            "kalau mau ganti, mulai lagi dengan /siaran."
        )
    if draft is None or draft.step not in INPUT_STEPS:
        return None
    if not is_trainer(session, trainer.telegram_user_id):
        session.delete(draft)
        return _say(NOT_ALLOWED)
    draft.updated_at = utcnow()
    if draft.step == "content":
        return _take_content(session, draft, content)
    text = content.text if content else ""
    if draft.step == "city":
        return _take_city(session, draft, text)
    if draft.step == "province":
        return _take_province(session, draft, text)
    return _take_time(session, draft, text, now or utcnow())


# --- buttons --------------------------------------------------------------------------------


_FILTER_NAMES: Final = {
    "enrolled": "enrolled_in",
    "unfinished": "not_finished",
    "active": "active_days",
    "province": "province",
}


def _set_filter(draft: BroadcastDraft, field: str, value: str) -> None:
    name = _FILTER_NAMES.get(field, field)
    segment = dict(draft.segment or {})
    segment.pop(name, None)
    if value != "-":
        if field == "platform":
            segment[name] = PLATFORMS.get(value)
        elif field == "active":
            segment[name] = int(value) if value.isdigit() else None
        else:
            segment[name] = value
    draft.segment = Segment.from_json(segment).to_json()


def _valid_filter(session: Session, field: str, value: str) -> bool:
    if value == "-":
        return field in _FILTER_NAMES or field in ("cluster", "platform", "experience", "city")
    if field == "cluster":
        return value in CLUSTERS
    if field == "platform":
        return value in PLATFORMS
    if field == "experience":
        return value in EXPERIENCE
    if field == "active":
        return value.isdigit() and int(value) in ACTIVE_DAYS
    if field in ("enrolled", "unfinished"):
        return value in {m.key for m in _modules(session)}
    return False


def _stop(session: Session, trainer: Trainer, broadcast_id: int) -> list[OutgoingMessage]:
    """The stop button on a progress message or a scheduled broadcast. Trainers stop their
    own broadcasts; admins any."""
    # Beyond MAX_ROW_ID (a tampered button) no broadcast exists, and PostgreSQL would refuse it.
    broadcast = session.get(Broadcast, broadcast_id) if broadcast_id <= MAX_ROW_ID else None
    if broadcast is None:
        return _say(f"Siaran #{broadcast_id} tidak ada, Kak.")
    own = broadcast.created_by == trainer.telegram_user_id
    if not own and roles.role_of(session, trainer.telegram_user_id) is not Role.ADMIN:
        return _say(
            f"Siaran #{broadcast_id} dibuat pelatih lain, Kak. Minta admin menghentikannya."
        )
    if not outbox.cancel(session, broadcast_id):
        return _say(f"Siaran #{broadcast_id} sudah selesai atau sudah dihentikan, Kak.")
    if broadcast.started_at is None:
        broadcast.reported_at = utcnow()  # nothing was sent: no report to wait for
        return _say(f"Jadwal siaran #{broadcast_id} dibatalkan. Tidak ada yang terkirim.")
    return _say(f"⛔ Siaran #{broadcast_id} dihentikan. Laporan akhirnya menyusul di sini.")


def _confirm(session: Session, trainer: Trainer, draft: BroadcastDraft) -> list[OutgoingMessage]:
    broadcast = outbox.create(
        session,
        text=draft.text or "",
        segment=Segment.from_json(draft.segment),
        created_by=trainer.telegram_user_id,
        module_key=draft.module_key,
        scheduled_at=draft.scheduled_at,
    )
    broadcast.parse_mode, broadcast.lesson_id = draft.parse_mode, draft.lesson_id
    broadcast.media_kind, broadcast.media_file_id = draft.media_kind, draft.media_file_id
    broadcast.report_chat_id = trainer.chat_id
    session.delete(draft)
    session.flush()
    if draft.scheduled_at is None:
        return _say(
            f"✅ Siaran #{broadcast.id} mulai dikirim. Progresnya saya tampilkan di sini, "
            "lalu laporan akhirnya."
        )
    when = schedule.format_when_everywhere(draft.scheduled_at)
    return _say(
        f"✅ Siaran #{broadcast.id} dijadwalkan {when}. "
        "Saat mulai dikirim, progresnya muncul di sini.",
        (Button("❌ Batalkan jadwal", f"s:stop:{broadcast.id}"),),
    )


def handle_button(session: Session, trainer: Trainer, data: str) -> list[OutgoingMessage] | None:
    """A /siaran button ("s:..."); None if `data` is not one."""
    match = _DATA.match(data or "")
    if match is None:
        return None
    if not is_trainer(session, trainer.telegram_user_id):
        return _say(NOT_ALLOWED)
    action, arg, value = match["action"], match["arg"], match["value"]
    if action == "stop" and arg and arg.isdigit():
        return _stop(session, trainer, int(arg))
    draft = draft_of(session, trainer.telegram_user_id)
    if draft is None or draft.step == "content":
        return _say(NO_DRAFT) if draft is None else _say(ASK_CONTENT)
    draft.updated_at = utcnow()
    if action == "x":
        session.delete(draft)
        return _say("Oke, Kak, draf siaran dibatalkan. Tidak ada yang terkirim.")
    if action == "mod" and arg:
        if arg == "none":
            draft.module_key = draft.lesson_id = None
            draft.step = "segment"
            return _segment_screen(session, draft)
        if arg in {m.key for m in _modules(session)}:
            draft.module_key, draft.lesson_id = arg, None
            return _ask_lesson(session, arg)
    if action == "les" and arg and arg.isdigit() and draft.module_key:
        lesson = session.get(ContentLesson, int(arg)) if 0 < int(arg) <= MAX_ROW_ID else None
        draft.lesson_id = lesson.id if lesson and lesson.retired_at is None else None
        draft.step = "segment"
        return _segment_screen(session, draft)
    if action == "f" and arg == "city":
        draft.step = "city"
        return _say(
            "Ketik nama kota/kabupatennya, Kak (misalnya: Bandung).",
            (Button("Tanpa filter kota", "s:v:city:-"), Button("⬅️ Kembali", "s:seg")),
        )
    if action == "f" and arg == "province":
        draft.step = "province"
        return _say(
            "Ketik nama provinsinya, Kak (misalnya: Jawa Barat). Penjual dihitung dari kota "
            "di profil mereka.",
            (Button("Tanpa filter provinsi", "s:v:province:-"), Button("⬅️ Kembali", "s:seg")),
        )
    if action == "f" and arg:
        menu = _filter_menu(session, arg)
        if menu:
            return menu
    if action == "v" and arg and value and _valid_filter(session, arg, value):
        _set_filter(draft, arg, value)
        draft.step = "segment"
        return _segment_screen(session, draft)
    if action in ("seg", "reset"):
        if action == "reset":
            draft.segment = {}
        draft.step = "segment"
        return _segment_screen(session, draft)
    if action == "next":
        draft.step = "when"
        return _preview(session, draft)
    if action == "now":
        draft.scheduled_at, draft.step = None, "confirm"
        return _confirm_screen(session, draft)
    if action == "at":
        draft.step = "at"
        return _say(
            f"Ketik tanggal dan jamnya, Kak. Contoh: {schedule.EXAMPLE} (bisa WIB, WITA, "
            "atau WIT).",
            (CANCEL,),
        )
    if action == "ok" and draft.step == "confirm":
        return _confirm(session, trainer, draft)
    # A button from an older screen: show where the trainer really is.
    return current_screen(session, draft)


def current_screen(session: Session, draft: BroadcastDraft) -> list[OutgoingMessage]:
    if draft.step == "button":
        return _ask_button(session)
    if draft.step in ("segment", "city", "province"):
        return _segment_screen(session, draft)
    if draft.step in ("when", "at"):
        return _preview(session, draft)
    if draft.step == "confirm":
        return _confirm_screen(session, draft)
    return _say(ASK_CONTENT)
