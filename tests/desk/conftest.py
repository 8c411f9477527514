"""Fixtures for the support desk: a real migrated database per test on both engines the bot
supports (issue #7; `migrated_database_url` in tests/conftest.py: a copy of a migrated SQLite
file, and a copy of the migrated template database on the run's throwaway PostgreSQL cluster),
the real ASGI app, and an httpx client against it.

Every test here runs on both, the Chromium tests included: measured on the shared 2-core box,
the four browser tests take ~40 s per engine and the whole folder ~2.5 min on SQLite alone and
~4-5 min on both, within `make test`'s budget, so PostgreSQL (the production shape) is not the
browser tests' only engine. The screenshots are saved by both runs (the same pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bot.db.session import make_engine, make_session_factory
from bot.desk.app import create_app
from bot.desk.state import DeskConfig

BASE_URL = "http://desk.test"


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    return migrated_database_url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    desk = create_app(DeskConfig(database_url, secret_key=b"test-key"))
    yield desk
    desk.state.desk.engine.dispose()


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, follow_redirects=False
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c
