"""`Privacy` on a real database with a controlled clock: the notice is shown once per version,
and a deletion needs a fresh confirmation from the seller's current record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Message, Seller
from bot.privacy import texts
from bot.privacy.facade import Privacy
from bot.privacy.policy import load_privacy_text
from bot.store import SellerIdentity, Store

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SARI = SellerIdentity(telegram_user_id=7_300_000_001, chat_id=7_300_000_001, first_name="Sari")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def privacy(sessions: sessionmaker[Session], clock: Clock) -> Privacy:
    return Privacy(sessions, load_privacy_text(retention_days=365), retention_days=365, clock=clock)


async def write(sessions: sessionmaker[Session], text: str = "halo kak") -> None:
    await Store(sessions).record_incoming(SARI, kind="text", text=text, telegram_message_id=1)


def seller(sessions: sessionmaker[Session]) -> Seller | None:
    with sessions() as session:
        return session.scalar(
            sa.select(Seller).where(Seller.telegram_user_id == SARI.telegram_user_id)
        )


async def test_the_notice_is_shown_once_per_version(
    sessions: sessionmaker[Session], privacy: Privacy
) -> None:
    await write(sessions)
    [notice] = await privacy.notice_if_new(SARI)
    assert notice.text == privacy.text.notice
    assert notice.flat_buttons == [texts.SHOW_FULL]
    found = seller(sessions)
    assert found is not None
    assert (found.privacy_notice_at, found.privacy_notice_version) == (T0, privacy.text.version)
    assert await privacy.notice_if_new(SARI) == []
    privacy.text = dataclasses.replace(privacy.text, version="2027-01-01")
    assert len(await privacy.notice_if_new(SARI)) == 1


async def test_confirmed_deletion_then_a_second_tap(
    sessions: sessionmaker[Session], privacy: Privacy, clock: Clock
) -> None:
    await write(sessions, "wa saya 0812-3456-7890")
    [question] = await privacy.ask_deletion(SARI)
    assert question.text == texts.ASK_DELETION
    yes, no = question.flat_buttons
    assert (yes.title, no.title, no.payload) == ("Ya, hapus", "Batal", texts.CANCEL_DATA)
    assert len(yes.payload.encode()) <= 64

    clock.now = T0 + timedelta(minutes=59)
    outcome = await privacy.deletion_button(SARI, yes.payload)
    assert outcome.deleted and [m.text for m in outcome.messages] == [texts.DELETED]
    assert seller(sessions) is None
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0

    again = await privacy.deletion_button(SARI, yes.payload)
    assert not again.deleted and [m.text for m in again.messages] == [texts.ALREADY_DELETED]
    assert seller(sessions) is None  # a second tap recreates nothing


@pytest.mark.parametrize(
    ("wait", "expected"),
    [(timedelta(minutes=61), texts.STALE), (-timedelta(minutes=5), texts.STALE)],
)
async def test_an_old_or_future_confirmation_deletes_nothing(
    sessions: sessionmaker[Session], privacy: Privacy, clock: Clock, wait: timedelta, expected: str
) -> None:
    await write(sessions)
    [question] = await privacy.ask_deletion(SARI)
    clock.now = T0 + wait
    outcome = await privacy.deletion_button(SARI, question.flat_buttons[0].payload)
    assert not outcome.deleted and [m.text for m in outcome.messages] == [expected]
    assert seller(sessions) is not None


async def test_a_button_from_before_a_deletion_cannot_delete_the_new_record(
    sessions: sessionmaker[Session], privacy: Privacy
) -> None:
    await write(sessions)
    [first] = await privacy.ask_deletion(SARI)
    [second] = await privacy.ask_deletion(SARI)  # both prompts are valid until used
    assert (await privacy.deletion_button(SARI, first.flat_buttons[0].payload)).deleted
    await write(sessions, "halo, saya kembali")  # a fresh seller
    outcome = await privacy.deletion_button(SARI, second.flat_buttons[0].payload)
    assert [m.text for m in outcome.messages] == [texts.STALE]
    assert seller(sessions) is not None


@pytest.mark.parametrize(
    "data", ["pd:y:abc:zz:1", "pd:y:1", "pd:y:1:1:zzzzzzzzzzzz", "pd:y:-1:1:1", "pd:y:1:1:1"]
)
async def test_tampered_confirmations_are_stale(
    sessions: sessionmaker[Session], privacy: Privacy, data: str
) -> None:
    await write(sessions)
    assert texts.is_deletion_data(data)
    outcome = await privacy.deletion_button(SARI, data)
    assert [m.text for m in outcome.messages] == [texts.STALE]
    assert seller(sessions) is not None


async def test_cancel_keeps_everything(sessions: sessionmaker[Session], privacy: Privacy) -> None:
    await write(sessions)
    outcome = await privacy.deletion_button(SARI, texts.CANCEL_DATA)
    assert not outcome.deleted and [m.text for m in outcome.messages] == [texts.CANCELLED]
    assert seller(sessions) is not None


def test_confirmation_data_round_trip() -> None:
    since = datetime(2026, 11, 2, 3, 4, 5, 678_901, tzinfo=UTC)
    data = texts.confirm_data(123_456_789, since, T0 + timedelta(seconds=59))
    assert len(data.encode()) <= 64
    parsed = texts.parse_confirm(data)
    assert parsed is not None and parsed == texts.Confirmation(123_456_789, since, T0)
    assert parsed.is_for(123_456_789, since)
    assert not parsed.is_for(123_456_789, since + timedelta(microseconds=1))
    assert texts.parse_confirm("pd:n") is None
    assert not texts.is_deletion_data("pv") and not texts.is_deletion_data("p")
