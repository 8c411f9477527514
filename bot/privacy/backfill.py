"""Masking transcripts stored before masking existed (`akar privacy mask-stored`).

New messages are masked as they are written (bot/db/repository.py); this walks the older ones
once, in batches of short transactions by id, and masks their text, their NLU entities and
the examples of NLU annotations. Safe to run again: masked text has nothing left to mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Message, NluAnnotation
from bot.privacy.masking import mask, mask_entities

BATCH = 500


@dataclass(frozen=True)
class BackfillReport:
    checked: int
    masked: int
    annotations_masked: int


def _messages(session: Session, after_id: int) -> tuple[int, int, int]:
    """(rows checked, rows changed, last id) for the next batch after `after_id`."""
    rows = session.scalars(
        sa.select(Message)
        .where(Message.id > after_id, Message.text.is_not(None))
        .order_by(Message.id)
        .limit(BATCH)
    ).all()
    changed = 0
    for message in rows:
        text = mask(message.text or "")
        entities = mask_entities(message.entities)
        if text != message.text or entities != message.entities:
            message.text, message.entities = text, entities
            changed += 1
    return len(rows), changed, rows[-1].id if rows else after_id


def mask_stored(sessions: sessionmaker[Session]) -> BackfillReport:
    checked = masked = 0
    last_id = 0
    while True:
        with sessions.begin() as session:
            count, changed, last_id = _messages(session, last_id)
        checked, masked = checked + count, masked + changed
        if count < BATCH:
            break
    annotations = 0
    with sessions.begin() as session:
        for annotation in session.scalars(sa.select(NluAnnotation)):
            example = mask(annotation.example)
            if example != annotation.example:
                annotation.example = example
                annotations += 1
    return BackfillReport(checked, masked, annotations)
