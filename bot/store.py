"""Async facade over the synchronous repository.

The repository is plain synchronous SQLAlchemy (portable, simple to test); the bot is asyncio.
Each call runs in a worker thread with its own short transaction, so a slow disk never blocks
the event loop and every message is committed the moment it is known (nothing is lost if a
later step fails).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.broadcast import roles
from bot.db import repository
from bot.db.models import Message, Role, Seller
from bot.rasa_client import NluResult


@dataclass(frozen=True)
class SellerIdentity:
    """Who wrote, as the front end knows them (Telegram user or the local terminal user)."""

    telegram_user_id: int
    chat_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


def upsert_identity(session: Session, who: SellerIdentity) -> Seller:
    """The seller row for this front-end identity, created or refreshed (caller commits)."""
    return repository.upsert_seller(
        session,
        telegram_user_id=who.telegram_user_id,
        chat_id=who.chat_id,
        first_name=who.first_name,
        last_name=who.last_name,
        username=who.username,
        language_code=who.language_code,
    )


# Telegram user ids have at most 52 significant bits (Bot API docs); anything longer is a typo,
# and past 2^63 it would not even fit the BIGINT column.
MAX_TELEGRAM_ID = 2**52 - 1


def is_telegram_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_TELEGRAM_ID


class Store:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    @property
    def sessions(self) -> sessionmaker[Session]:
        """For components that run their own units of work (the broadcast sender)."""
        return self._sessions

    async def record_incoming(
        self,
        who: SellerIdentity,
        *,
        kind: str,
        text: str | None,
        telegram_message_id: int | None,
    ) -> int:
        return await asyncio.to_thread(self._record_incoming, who, kind, text, telegram_message_id)

    def _record_incoming(
        self, who: SellerIdentity, kind: str, text: str | None, telegram_message_id: int | None
    ) -> int:
        with self._sessions.begin() as session:
            seller = upsert_identity(session, who)
            message = repository.record_incoming(
                session,
                seller,
                kind=kind,
                text=text,
                telegram_message_id=telegram_message_id,
            )
            session.flush()
            return message.id

    async def finish_incoming(
        self,
        message_id: int,
        *,
        status: str,
        nlu: NluResult | None = None,
        error: str | None = None,
    ) -> None:
        await asyncio.to_thread(self._finish_incoming, message_id, status, nlu, error)

    def _finish_incoming(
        self, message_id: int, status: str, nlu: NluResult | None, error: str | None
    ) -> None:
        with self._sessions.begin() as session:
            message = session.get_one(Message, message_id)
            if nlu is not None:
                repository.set_nlu_result(
                    session,
                    message,
                    intent=nlu.intent,
                    confidence=nlu.confidence,
                    entities=nlu.entities,
                    intent_ranking=nlu.intent_ranking,
                )
            repository.mark_incoming_status(session, message, status, error=error)

    async def record_outgoing(
        self,
        in_reply_to_id: int,
        *,
        text: str,
        telegram_message_id: int | None,
        delivery_status: str,
        error: str | None = None,
    ) -> int:
        return await asyncio.to_thread(
            self._record_outgoing, in_reply_to_id, text, telegram_message_id, delivery_status, error
        )

    def _record_outgoing(
        self,
        in_reply_to_id: int,
        text: str,
        telegram_message_id: int | None,
        delivery_status: str,
        error: str | None,
    ) -> int:
        with self._sessions.begin() as session:
            incoming = session.get_one(Message, in_reply_to_id)
            message = repository.record_outgoing(
                session,
                incoming.seller,
                text=text,
                in_reply_to=incoming,
                telegram_message_id=telegram_message_id,
                delivery_status=delivery_status,
                error=error,
            )
            session.flush()
            return message.id

    async def mark_blocked(self, telegram_user_id: int) -> None:
        await asyncio.to_thread(self._mark_blocked, telegram_user_id)

    def _mark_blocked(self, telegram_user_id: int) -> None:
        with self._sessions.begin() as session:
            repository.mark_seller_blocked(session, telegram_user_id)

    async def set_broadcast_opt_out(self, who: SellerIdentity, opted_out: bool) -> None:
        await asyncio.to_thread(self._set_broadcast_opt_out, who, opted_out)

    def _set_broadcast_opt_out(self, who: SellerIdentity, opted_out: bool) -> None:
        with self._sessions.begin() as session:
            seller = upsert_identity(session, who)
            seller.broadcast_opt_out = opted_out

    async def apply_role_command(self, caller: int, args: list[str]) -> str:
        return await asyncio.to_thread(self._apply_role_command, caller, args)

    def _apply_role_command(self, caller: int, args: list[str]) -> str:
        with self._sessions.begin() as session:
            if roles.role_of(session, caller) is not Role.ADMIN:
                return texts.ADMIN_ONLY
            if len(args) != 2 or not is_telegram_id(args[0]):
                return texts.ROLE_USAGE
            target, wanted = int(args[0]), args[1].lower()
            if wanted == "hapus":
                removed = roles.revoke(session, target)
                return texts.role_revoked(target) if removed else texts.role_none(target)
            if wanted not in {r.value for r in Role}:
                return texts.ROLE_USAGE
            roles.grant(session, target, Role(wanted), granted_by=caller)
            return texts.role_granted(target, wanted)

    async def seller(self, telegram_user_id: int) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._seller, telegram_user_id)

    def _seller(self, telegram_user_id: int) -> dict[str, Any] | None:
        with self._sessions() as session:
            seller = repository.get_seller_by_telegram_id(session, telegram_user_id)
            if seller is None:
                return None
            return {
                "id": seller.id,
                "first_name": seller.first_name,
                "is_active": seller.is_active,
                "blocked_at": seller.blocked_at,
            }

    async def transcript(self, telegram_user_id: int, limit: int = 100) -> list[dict[str, Any]]:
        """A seller's recent messages as plain dicts (used by tests and diagnostics)."""
        return await asyncio.to_thread(self._transcript, telegram_user_id, limit)

    def _transcript(self, telegram_user_id: int, limit: int) -> list[dict[str, Any]]:
        with self._sessions() as session:
            seller = repository.get_seller_by_telegram_id(session, telegram_user_id)
            if seller is None:
                return []
            return [
                {
                    "id": m.id,
                    "direction": str(m.direction),
                    "kind": m.kind,
                    "text": m.text,
                    "intent": m.intent,
                    "confidence": m.confidence,
                    "entities": m.entities,
                    "delivery_status": m.delivery_status,
                    "in_reply_to_id": m.in_reply_to_id,
                    "feedback": m.feedback,
                    "sent_by_account_id": m.sent_by_account_id,
                }
                for m in repository.transcript(session, seller.id, limit=limit)
            ]
