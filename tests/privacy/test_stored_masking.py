"""What is stored is masked: new rows as they are written, rows from before masking existed by
`akar privacy mask-stored`, and the desk's exports whatever the rows hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db import repository
from bot.db.models import Direction, Message, NluAnnotation
from bot.desk.exports import conversation_rows, csv_lines, jsonl_lines
from bot.privacy.backfill import mask_stored
from bot.privacy.masking import EMAIL, NIK, PHONE
from bot.store import SellerIdentity, Store
from tests.support_db import add_seller

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
RAW = "wa 0812-3456-7890, email sari@gmail.com, NIK 3201014506900001"
MASKED = f"wa {PHONE}, email {EMAIL}, NIK {NIK}"
SARI = SellerIdentity(telegram_user_id=7_400_000_001, chat_id=7_400_000_001, first_name="Sari")


def legacy_message(session: Session, seller_id: int, text: str) -> int:
    """A row as it was stored before masking: written directly, not through the repository
    (with an entity holding the phone number when the text has one)."""
    message = Message(
        seller_id=seller_id,
        chat_id=SARI.chat_id,
        direction=Direction.IN,
        kind="text",
        text=text,
        entities=[{"entity": "x", "value": "0812-3456-7890", "start": 3, "end": 17}]
        if "0812" in text
        else None,
        created_at=T0,
    )
    session.add(message)
    session.flush()
    return message.id


async def test_new_rows_are_stored_masked(sessions: sessionmaker[Session]) -> None:
    store = Store(sessions)
    incoming = await store.record_incoming(SARI, kind="text", text=RAW, telegram_message_id=1)
    await store.record_outgoing(
        incoming,
        text="Nomor 0812-3456-7890 sudah kami catat",
        telegram_message_id=2,
        delivery_status="sent",
    )
    with sessions.begin() as session:
        message = session.get_one(Message, incoming)
        repository.set_nlu_result(
            session,
            message,
            intent="minta_bantuan_manusia",
            confidence=0.8,
            entities=[{"entity": "berat", "value": "0812 3456 7890", "start": 3, "end": 17}],
            intent_ranking=None,
        )
    with sessions() as session:
        texts = [m.text for m in session.scalars(sa.select(Message).order_by(Message.id))]
        stored = session.get_one(Message, incoming)
    assert texts == [MASKED, f"Nomor {PHONE} sudah kami catat"]
    assert stored.entities == [{"entity": "berat", "value": PHONE, "start": 3, "end": 17}]


def test_mask_stored_masks_old_rows_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seller = add_seller(session, SARI.telegram_user_id, "Sari")
        old = legacy_message(session, seller.id, RAW)
        legacy_message(session, seller.id, "kak cod itu apa")
        session.add(NluAnnotation(message_id=old, intent="sapa", example="wa 081234567890"))
    report = mask_stored(sessions)
    assert (report.checked, report.masked, report.annotations_masked) == (2, 1, 1)
    with sessions() as session:
        message = session.get_one(Message, old)
        assert message.text == MASKED
        assert message.entities is not None and message.entities[0]["value"] == PHONE
        assert session.scalars(sa.select(NluAnnotation.example)).all() == [f"wa {PHONE}"]
    again = mask_stored(sessions)
    assert (again.masked, again.annotations_masked) == (0, 0)


def test_exports_mask_rows_stored_before_masking(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seller = add_seller(session, SARI.telegram_user_id, "Sari")
        legacy_message(session, seller.id, RAW)
        seller_id = seller.id
    [row] = list(conversation_rows(sessions, seller_id))
    assert row["teks"] == MASKED
    assert row["entitas"][0]["value"] == PHONE
    csv_text = "".join(csv_lines(conversation_rows(sessions, seller_id)))
    jsonl_text = "".join(jsonl_lines(conversation_rows(sessions, seller_id)))
    for exported in (csv_text, jsonl_text):
        assert "0812" not in exported and "sari@gmail.com" not in exported
    assert json.loads(jsonl_text)["teks"] == MASKED
