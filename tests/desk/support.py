"""Helpers for the support desk tests: accounts with roles, logging in through the real form,
and sample broadcasts with delivery figures."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import roles
from bot.config import Settings
from bot.db import repository
from bot.db.models import Broadcast, BroadcastDelivery, Role, Seller
from bot.desk import accounts
from bot.desk.staff_sessions import COOKIE_NAME
from bot.stack import web_spec
from bot.supervisor import Supervisor

PASSWORD = "kata-sandi-rahasia-123"
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_staff(
    sessions: sessionmaker[Session],
    username: str,
    telegram_user_id: int,
    role: Role | None,
    password: str = PASSWORD,
) -> int:
    with sessions.begin() as session:
        account = accounts.create(session, username, telegram_user_id, password)
        if role is not None:
            roles.grant(session, telegram_user_id, role, granted_by=None)
        return account.id


def form_token(html: str) -> str:
    match = FORM_TOKEN.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def session_csrf(html: str) -> str:
    match = SESSION_CSRF.search(html)
    assert match, "no hx-headers CSRF token in the page"
    return match.group(1)


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, next_path: str = ""
) -> httpx.Response:
    """GET the form (for its CSRF pair), then POST it, as a browser would. A signed-in
    browser is sent past the form, so the GET goes without the session cookie; the POST
    carries it again, like a second login in the same browser."""
    previous = client.cookies.get(COOKIE_NAME)
    if previous:
        client.cookies.delete(COOKIE_NAME)
    page = await client.get("/masuk")
    if previous:
        client.cookies.set(COOKIE_NAME, previous, domain=client.base_url.host)
    data = {"username": username, "password": password, "csrf_token": form_token(page.text)}
    if next_path:
        data["next"] = next_path
    return await client.post("/masuk", data=data)


FIXED_START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 09.00 WIB


def make_sellers(session: Session, count: int = 12) -> list[Seller]:
    sellers = [
        repository.upsert_seller(
            session, telegram_user_id=9_000_000 + n, chat_id=9_000_000 + n, first_name=f"S{n}"
        )
        for n in range(count)
    ]
    session.flush()
    return sellers


def seed_broadcasts(
    sessions: sessionmaker[Session], trainer_id: int, other_id: int, *, xss: bool = True
) -> None:
    """Three broadcasts (two by `trainer_id`) with deliveries in several final states; the
    third one's text is an XSS attempt unless `xss` is false."""
    third = "<script>alert('xss')</script> Tips foto produk" if xss else "Tips foto produk"
    with sessions.begin() as session:
        sellers = make_sellers(session)
        plans = [
            (trainer_id, "Promo Harbolnas: cek modul ongkir!", "done", ["sent"] * 9 + ["blocked"]),
            (other_id, "Kelas COD minggu ini", "sending", ["sent", "pending", "pending"]),
            (trainer_id, third, "scheduled", []),
        ]
        for n, (owner, text, status, outcomes) in enumerate(plans):
            started = FIXED_START + timedelta(days=n) if outcomes else None
            broadcast = Broadcast(
                created_by=owner,
                text=text,
                segment={},
                status=status,
                scheduled_at=FIXED_START + timedelta(days=n),
                started_at=started,
                finished_at=started + timedelta(seconds=4) if status == "done" else None,
            )
            session.add(broadcast)
            session.flush()
            for seller, outcome in zip(sellers, outcomes, strict=False):
                session.add(
                    BroadcastDelivery(
                        broadcast_id=broadcast.id,
                        seller_id=seller.id,
                        chat_id=seller.chat_id,
                        status=outcome,
                    )
                )


@asynccontextmanager
async def running_desk(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, io.StringIO]]:
    """`akar web` as `akar run` starts it (same ServiceSpec, same supervisor, same /healthz
    probe) on a free port; yields its base URL and, after it stopped, its captured output."""
    port = free_port()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WEB_HOST", "127.0.0.1")
    monkeypatch.setenv("WEB_PORT", str(port))
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    output = io.StringIO()
    supervisor = Supervisor(output=output, colour=False)
    try:
        service = await supervisor.start(web_spec(Settings(), None))
        await supervisor.wait_healthy(service, 30)
        yield f"http://127.0.0.1:{port}", output
    finally:
        await supervisor.stop_all()
