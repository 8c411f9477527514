"""A seller with a row in every table that can hold something about them, for the deletion and
retention tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastDraft,
    Certificate,
    ContentLesson,
    ContentModule,
    ContentQuestion,
    DripSeries,
    LessonProgress,
    NluAnnotation,
    QuizAnswer,
    SellerProfile,
    StaffAccount,
    StaffNote,
)
from tests.support_db import add_incoming, add_outgoing, add_seller


@dataclass(frozen=True)
class Built:
    seller_id: int
    telegram_user_id: int
    message_ids: list[int]
    annotation_ids: dict[str, int]  # "clean", "phone", "named"
    broadcast_id: int


def content(session: Session) -> tuple[int, int, int]:
    """A module, a lesson and a question (ids), created once per database."""
    module = session.scalar(sa.select(ContentModule).where(ContentModule.key == "cod"))
    if module is None:
        module = ContentModule(key="cod", number=2, title="COD", topic="cod", summary="")
        lesson = ContentLesson(
            module=module,
            key="apa-itu-cod",
            position=1,
            title="Apa itu COD",
            minutes=4,
            parts=[],
            sources=[],
            fingerprint="x",
        )
        session.add_all(
            [
                module,
                lesson,
                ContentQuestion(
                    lesson=lesson,
                    position=1,
                    question="?",
                    options=[["a", "ya"]],
                    answer="a",
                    explanation="",
                ),
            ]
        )
        session.flush()
    lesson_id = module.lessons[0].id
    question_id = module.lessons[0].questions[0].id
    return module.id, lesson_id, question_id


def staff(session: Session) -> int:
    account = session.scalar(sa.select(StaffAccount).where(StaffAccount.username == "rina"))
    if account is None:
        account = StaffAccount(username="rina", password_hash="x", telegram_user_id=9_000_000_001)
        session.add(account)
        session.flush()
    return account.id


def seller_with_everything(
    session: Session, telegram_user_id: int, first_name: str, at: datetime
) -> Built:
    """Messages both ways (with a phone number and an NLU reading), a profile, progress, a quiz
    answer, a certificate, a broadcast delivery, a staff note, three annotations, a trainer's
    draft and broadcast, and a handoff in progress."""
    module_id, lesson_id, question_id = content(session)
    account_id = staff(session)
    seller = add_seller(
        session, telegram_user_id, first_name, username=f"{first_name.lower()}_batik"
    )
    seller.handoff_state, seller.handoff_at = "requested", at
    question = add_incoming(
        session,
        seller,
        "kak cod itu apa, wa saya 0812-3456-7890",
        at,
        intent="tanya_cod",
        confidence=0.9,
        entities=[{"entity": "platform", "value": "Shopee", "start": 0, "end": 6}],
    )
    answer = add_outgoing(session, seller, "COD artinya bayar di tempat", at, reply_to=question)
    named = add_incoming(session, seller, f"saya {first_name} dari toko Batik Laris", at)
    session.add_all(
        [
            SellerProfile(
                seller_id=seller.id,
                nickname=f"Bu {first_name}",
                shop_name="Batik Laris",
                platforms=["Shopee"],
                city="Garut",
            ),
            LessonProgress(seller_id=seller.id, lesson_id=lesson_id, part=1, started_at=at),
            QuizAnswer(seller_id=seller.id, question_id=question_id, chosen="a", correct=True),
            Certificate(
                code=f"AKAR-{telegram_user_id % 10000:04d}-TEST",
                seller_id=seller.id,
                module_id=module_id,
                seller_name=first_name,
                module_title="COD",
            ),
            StaffNote(seller_id=seller.id, account_id=account_id, text="minta ditelepon"),
            BroadcastDraft(telegram_user_id=telegram_user_id, chat_id=telegram_user_id, step="x"),
        ]
    )
    broadcast = Broadcast(
        text="Kelas live COD besok", segment={}, created_by=telegram_user_id, status="done"
    )
    broadcast.report_chat_id = telegram_user_id
    session.add_all(
        [broadcast, DripSeries(name="COD", module_key="cod", created_by=telegram_user_id)]
    )
    session.flush()
    session.add(
        BroadcastDelivery(broadcast_id=broadcast.id, seller_id=seller.id, chat_id=seller.chat_id)
    )
    annotations = {
        "clean": NluAnnotation(message_id=question.id, intent="tanya_cod", example="cod itu apa"),
        "phone": NluAnnotation(
            message_id=question.id, intent="tanya_cod", example="cod apa, wa 0812-3456-7890"
        ),
        "named": NluAnnotation(
            message_id=named.id, intent="sapa", example=f"saya {first_name} dari toko Batik Laris"
        ),
    }
    session.add_all(annotations.values())
    session.flush()
    return Built(
        seller.id,
        telegram_user_id,
        [question.id, answer.id, named.id],
        {name: a.id for name, a in annotations.items()},
        broadcast.id,
    )
