"""`Learning`: the async entry point the bot and the terminal chat use for learning screens.

Each call is one short transaction in a worker thread (like `Store`), so progress is committed
the moment a seller presses a button and survives a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.db import repository
from bot.db.models import Seller
from bot.learning import certificate, profile, service, views
from bot.learning.callbacks import LearningAction
from bot.rendering import OutgoingMessage
from bot.store import SellerIdentity, upsert_identity


def _seller_id(session: Session, who: SellerIdentity) -> int:
    return _seller(session, who).id


def _seller(session: Session, who: SellerIdentity) -> Seller:
    seller = upsert_identity(session, who)
    session.flush()
    return seller


class Learning:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    async def handle(self, who: SellerIdentity, action: LearningAction) -> list[OutgoingMessage]:
        return await asyncio.to_thread(self._handle, who, action)

    async def directive(self, who: SellerIdentity, custom: dict[str, Any]) -> list[OutgoingMessage]:
        """A learning screen requested by a Rasa action (`{"akar_view": "module", ...}`)."""
        if custom.get("akar_view") == "module" and isinstance(custom.get("module"), str):
            return await self.handle(who, LearningAction("module", module=custom["module"]))
        if custom.get("akar_view") == "progress":
            return await self.handle(who, LearningAction("progress"))
        return await self.handle(who, LearningAction("catalogue"))

    @staticmethod
    def _certificate(session: Session, seller_id: int, key: str) -> list[OutgoingMessage]:
        issued = service.completed_module_certificate(session, seller_id, key)
        if issued is None:
            return views.certificate_not_ready(key)
        return views.certificate_message(issued, certificate.render_pdf(issued))

    async def profile_button(self, who: SellerIdentity, data: str) -> list[OutgoingMessage] | None:
        """An onboarding button ("o:..."), or None if `data` is not one."""
        action = profile.parse(data)
        if action is None:
            return None
        return await asyncio.to_thread(
            self._profile, who, lambda s, seller: profile.handle_button(s, seller, action)
        )

    async def profile_text(self, who: SellerIdentity, text: str) -> list[OutgoingMessage] | None:
        """The answer to an open onboarding question, or None if none is open."""
        return await asyncio.to_thread(self._profile_text, who, text)

    async def show_profile(self, who: SellerIdentity) -> list[OutgoingMessage]:
        return await asyncio.to_thread(self._profile, who, profile.show)

    async def onboarding_invitation(self, who: SellerIdentity) -> list[OutgoingMessage]:
        """On a seller's first /start: the invitation to fill in the profile (once)."""
        return await asyncio.to_thread(self._invitation, who)

    def _profile(
        self, who: SellerIdentity, screen: Callable[[Session, Seller], list[OutgoingMessage]]
    ) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            return screen(session, seller)

    def _profile_text(self, who: SellerIdentity, text: str) -> list[OutgoingMessage] | None:
        # Runs for every text message, so it only reads unless a profile question is open: the
        # incoming message was just stored, which already created or refreshed the seller.
        with self._sessions.begin() as session:
            seller = repository.get_seller_by_telegram_id(session, who.telegram_user_id)
            if seller is None or not profile.awaiting_text(session, seller.id):
                return None
            if not profile.looks_like_answer(text):
                profile.close_question(session, seller.id)
                return None
            return profile.handle_text(session, seller, text)

    def _invitation(self, who: SellerIdentity) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            return profile.invitation() if profile.needs_onboarding(session, seller.id) else []

    def _handle(self, who: SellerIdentity, action: LearningAction) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller_id = _seller_id(session, who)
            return self._screen(session, seller_id, action)

    def _screen(
        self, session: Session, seller_id: int, action: LearningAction
    ) -> list[OutgoingMessage]:
        if action.kind == "catalogue":
            modules = service.list_modules(session, seller_id)
            suggestion = service.recommend(session, seller_id)
            return views.catalogue(modules, action.index, suggestion=suggestion)
        if action.kind == "progress":
            modules = service.list_modules(session, seller_id)
            suggestion = service.recommend(session, seller_id)
            return views.progress(modules, suggestion=suggestion)
        if action.kind == "module" and action.module:
            page = service.module_page(session, seller_id, action.module)
            return views.module_page(*page) if page else views.not_available()
        if action.kind == "resume":
            point = service.resume_point(session, seller_id)
            if point is None:
                return views.nothing_to_resume()
            part = service.show_part(session, seller_id, *point)
            return views.lesson_part(part) if part else views.not_available()
        if action.kind == "part" and action.lesson_id is not None:
            part = service.show_part(session, seller_id, action.lesson_id, action.index)
            return views.lesson_part(part) if part else views.not_available()
        if action.kind == "quiz" and action.lesson_id is not None:
            question = service.quiz_question(session, seller_id, action.lesson_id, action.index)
            return views.question(question) if question else views.not_available()
        if action.kind == "answer" and action.question_id is not None and action.option:
            result = service.answer(session, seller_id, action.question_id, action.option)
            if result is None:
                return views.not_available()
            messages = views.feedback(result)
            if result.module_just_completed and result.module is not None:
                messages += self._certificate(session, seller_id, result.module.key)
            return messages
        if action.kind == "certificate" and action.module:
            return self._certificate(session, seller_id, action.module)
        return views.not_available()
