"""The desk's per-process state (settings, database) and the per-request database session.

Route handlers are plain `def` functions: FastAPI runs them in its thread pool, so the
synchronous SQLAlchemy code never blocks the event loop. One session per request, shared by the
auth dependency and the handler (FastAPI caches a dependency within a request); it commits when
the handler returns, before the response is sent (`scope="function"`), so a redirect that
follows a login never races its own commit, and rolls back if the handler raises.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from bot.config import Settings
from bot.db.session import make_engine, make_session_factory, session_scope
from bot.support.export import HELD_OUT, NLU_DIR


@dataclass(frozen=True)
class DeskConfig:
    database_url: str
    session_lifetime: timedelta = timedelta(hours=12)
    secure_cookies: bool = False  # always Secure; otherwise only on HTTPS requests
    secret_key: bytes = b""  # empty: a random key for this process
    # Staff replies and hand-backs go out through the bot's Telegram account; no token, no
    # sending (the desk says so). Kept out of repr, like every secret.
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # Where the "Ekspor ke nlu/" button writes (tests point it at a copy).
    nlu_dir: Path = NLU_DIR
    nlu_held_out: Path = HELD_OUT

    @classmethod
    def from_settings(cls, settings: Settings) -> DeskConfig:
        key = settings.web_secret_key
        token = settings.telegram_bot_token
        return cls(
            database_url=settings.database_url,
            session_lifetime=timedelta(hours=settings.web_session_hours),
            secure_cookies=settings.web_secure_cookies,
            secret_key=key.get_secret_value().encode() if key else b"",
            telegram_bot_token=token.get_secret_value() if token else None,
            telegram_api_base_url=settings.telegram_api_base_url,
        )


@dataclass
class DeskState:
    config: DeskConfig
    engine: Engine
    sessions: sessionmaker[Session]
    secret_key: bytes

    @classmethod
    def open(cls, config: DeskConfig) -> DeskState:
        engine = make_engine(config.database_url)
        return cls(
            config=config,
            engine=engine,
            sessions=make_session_factory(engine),
            secret_key=config.secret_key or secrets.token_bytes(32),
        )


def desk_state(request: Request) -> DeskState:
    state = request.app.state.desk
    assert isinstance(state, DeskState)
    return state


def _db(request: Request) -> Iterator[Session]:
    with session_scope(desk_state(request).sessions) as session:
        yield session


DbSession = Annotated[Session, Depends(_db, scope="function")]
