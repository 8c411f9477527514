"""`Composer`: the async entry point for /siaran. Each call is one short transaction in a worker
thread, so every step is committed the moment the trainer answers."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from bot.compose import flow
from bot.compose.flow import Content, Trainer
from bot.rendering import OutgoingMessage
from bot.store import SellerIdentity


def _trainer(who: SellerIdentity) -> Trainer:
    return Trainer(telegram_user_id=who.telegram_user_id, chat_id=who.chat_id)


class Composer:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    async def start(self, who: SellerIdentity) -> list[OutgoingMessage]:
        return await asyncio.to_thread(self._start, who)

    async def cancel(self, who: SellerIdentity) -> list[OutgoingMessage] | None:
        """/batal: None when there is no draft (then the command means something else)."""
        return await asyncio.to_thread(self._cancel, who)

    async def button(self, who: SellerIdentity, data: str) -> list[OutgoingMessage] | None:
        if not data.startswith("s:"):
            return None
        return await asyncio.to_thread(self._button, who, data)

    async def take_input(
        self, who: SellerIdentity, content: Content | None
    ) -> list[OutgoingMessage] | None:
        """The trainer's message if their draft waits for one; None (cheaply) otherwise."""
        return await asyncio.to_thread(self._take_input, who, content)

    def _start(self, who: SellerIdentity) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            return flow.start(session, _trainer(who))

    def _cancel(self, who: SellerIdentity) -> list[OutgoingMessage] | None:
        with self._sessions.begin() as session:
            return flow.cancel(session, _trainer(who))

    def _button(self, who: SellerIdentity, data: str) -> list[OutgoingMessage] | None:
        with self._sessions.begin() as session:
            return flow.handle_button(session, _trainer(who), data)

    def _take_input(
        self, who: SellerIdentity, content: Content | None
    ) -> list[OutgoingMessage] | None:
        with self._sessions() as session:  # the common case: no draft, read only
            if flow.draft_of(session, who.telegram_user_id) is None:
                return None
        with self._sessions.begin() as session:
            return flow.take_input(session, _trainer(who), content)
