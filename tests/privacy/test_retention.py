"""Transcript retention with an explicit "now" on real databases (SQLite and PostgreSQL), the
daily job inside the bot process, and `akar privacy retain`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.db.models import AuditEntry, Message, NluAnnotation, Seller
from bot.privacy import retention
from bot.privacy.facade import Privacy
from bot.privacy.masking import PHONE
from bot.privacy.policy import load_privacy_text
from bot.privacy.retention import MARKER, anonymise_before
from tests.privacy.people import seller_with_everything
from tests.support_db import add_incoming

NOW = datetime(2027, 12, 1, 3, 0, tzinfo=UTC)
DAYS = 365
OLD = NOW - timedelta(days=DAYS, seconds=1)  # just past the period
RECENT = NOW - timedelta(days=DAYS) + timedelta(seconds=1)  # just inside it
SITI = 7_200_000_001


def message_rows(session: Session) -> dict[int, Message]:
    return {m.id: m for m in session.scalars(sa.select(Message))}


def test_old_messages_lose_their_content_and_keep_their_reading(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        siti = seller_with_everything(session, SITI, "Siti", OLD)
        recent = add_incoming(session, session.get_one(Seller, siti.seller_id), "halo lagi", RECENT)
        recent_id = recent.id

    report = anonymise_before(sessions, now=NOW, days=DAYS)

    assert (report.cutoff, report.messages) == (NOW - timedelta(days=DAYS), 3)
    assert (report.annotations_kept, report.annotations_removed) == (2, 1)
    with sessions() as session:
        rows = message_rows(session)
        question = rows[siti.message_ids[0]]
        assert question.text == MARKER
        assert (question.entities, question.intent_ranking, question.telegram_message_id) == (
            None,
            None,
            None,
        )
        assert (question.intent, question.confidence) == ("tanya_cod", 0.9)  # statistics stay
        assert question.seller_id == siti.seller_id and question.anonymised_at == NOW
        assert all(rows[i].text == MARKER for i in siti.message_ids)
        assert rows[recent_id].text == "halo lagi" and rows[recent_id].anonymised_at is None
        annotations = {a.id: a for a in session.scalars(sa.select(NluAnnotation))}
        assert set(annotations) == {siti.annotation_ids["clean"], siti.annotation_ids["phone"]}
        assert annotations[siti.annotation_ids["phone"]].example == f"cod apa, wa {PHONE}"
        [entry] = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy_retention")
        ).all()
        assert entry.detail == {
            "days": DAYS,
            "messages": 3,
            "annotations_kept": 2,
            "annotations_removed": 1,
        }


def test_retention_is_idempotent_and_batched(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches out of five messages
    with sessions.begin() as session:
        siti = seller_with_everything(session, SITI, "Siti", OLD)
        seller = session.get_one(Seller, siti.seller_id)
        add_incoming(session, seller, "satu lagi", OLD)
        add_incoming(session, seller, "dan lagi", OLD)
    assert anonymise_before(sessions, now=NOW, days=DAYS).messages == 5
    assert anonymise_before(sessions, now=NOW, days=DAYS).messages == 0
    later = anonymise_before(sessions, now=NOW + timedelta(days=30), days=DAYS)
    assert later.messages == 0
    with sessions() as session:
        assert {m.anonymised_at for m in session.scalars(sa.select(Message))} == {NOW}
        audits = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy_retention")
        ).all()
    assert len(audits) == 1  # nothing to do, nothing recorded


def test_anonymised_words_leave_the_search_index(engine: Engine) -> None:
    sessions = sessionmaker(bind=engine)
    with sessions.begin() as session:
        seller_with_everything(session, SITI, "Siti", OLD)
    anonymise_before(sessions, now=NOW, days=DAYS)
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        laris = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'laris'"
        assert connection.execute(sa.text(laris)).scalar_one() == 0


async def test_the_daily_job_runs_at_start_and_stops(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seller_with_everything(session, SITI, "Siti", OLD)
    privacy = Privacy(
        sessions, load_privacy_text(retention_days=DAYS), retention_days=DAYS, clock=lambda: NOW
    )
    privacy.start_daily_retention()
    await asyncio.wait_for(privacy.retention_ran.wait(), timeout=30)
    await privacy.aclose()
    assert privacy.last_retention is not None and privacy.last_retention.messages == 3
    with sessions() as session:
        assert {m.text for m in session.scalars(sa.select(Message))} == {MARKER}


def test_cli_retain_with_an_explicit_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.db.migrate import upgrade
    from bot.db.session import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path / 'akar.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        seller_with_everything(session, SITI, "Siti", OLD)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRANSCRIPT_RETENTION_DAYS", str(DAYS))

    assert main(["privacy", "retain", "--now", "2026-12-01T10:00+07:00"]) == 0
    assert (
        "Masa simpan 365 hari: 0 pesan dari sebelum 01-12-2025 10.00 WIB" in capsys.readouterr().out
    )
    assert main(["privacy", "retain", "--now", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "Masa simpan 365 hari: 3 pesan dari sebelum 01-12-2026 10.00 WIB dianonimkan." in out
    assert "2 disimpan (disamarkan), 1 dihapus" in out
    assert main(["privacy", "retain", "--days", "30", "--now", NOW.isoformat()]) == 0
    assert "Masa simpan 30 hari: 0 pesan" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["privacy", "retain", "--now", "2026-12-01T10:00"])  # no offset: refused
