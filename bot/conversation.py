"""The front-end-neutral conversation core shared by Telegram and the terminal chat.

It decides what to do with one seller input (store it, ask Rasa or answer locally) and returns
the messages to send; the front end only does I/O and reports back what it delivered.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field

from bot import texts
from bot.compose.facade import Composer
from bot.compose.flow import Content
from bot.learning import callbacks as learning_callbacks
from bot.learning.callbacks import LearningAction
from bot.learning.facade import Learning
from bot.privacy import texts as privacy_texts
from bot.privacy.facade import Privacy
from bot.rasa_client import RasaClient, RasaReply, RasaUnavailable
from bot.rendering import Notice, OutgoingMessage, render_replies
from bot.store import SellerIdentity, Store
from bot.support.facade import Support, is_handoff_request

log = logging.getLogger(__name__)

# Longer messages are stored but not sent to the NLU: a wall of text is never one question,
# and the classifier's cost grows with length.
MAX_NLU_CHARS = 1000
# "/intent" or "/intent{"entity":"value"}" with one simple entity (module buttons carry the topic).
# Anything else in callback data is stale or tampered with and never reaches Rasa.
PAYLOAD_PATTERN = re.compile(
    r'^/(?P<intent>[a-z][a-z0-9_]{0,58})(\{"[a-z_]{1,20}":"[a-z0-9_]{1,30}"\})?$'
)
# Rasa's built-in intents, absent from the domain's intent list. "Bukan keduanya" on the fallback
# menu sends `nlu_fallback`: the seller says the bot has not understood yet.
DEFAULT_INTENTS = frozenset({"nlu_fallback"})
_HAS_WORD = re.compile(r"\w", re.UNICODE)
# Both names answer with what the assistant can do: /bantuan is the one in the menu, /help the
# one sellers (and Telegram's own conventions) try first. Shared by the Telegram and terminal
# front ends so neither can drift into sending these to the NLU.
HELP_COMMANDS = frozenset({"bantuan", "help"})


@dataclass(frozen=True)
class Turn:
    """What the front end must send in answer to one incoming message. `incoming_id` is None
    when nothing is recorded (a /hapusdata confirmation: the seller's data is gone)."""

    incoming_id: int | None
    messages: list[OutgoingMessage]
    # For other chats (the support team's), sent after the seller's messages.
    notices: list[Notice] = field(default_factory=list)


def local_reply(text: str, *, with_topics: bool = True) -> list[OutgoingMessage]:
    return [OutgoingMessage(text=text, buttons=texts.TOPIC_BUTTONS if with_topics else ())]


class Assistant:
    def __init__(
        self,
        rasa: RasaClient,
        store: Store,
        known_intents: set[str] | None = None,
        *,
        learning: Learning | None = None,
        composer: Composer | None = None,
        support: Support | None = None,
        privacy: Privacy | None = None,
    ):
        self._rasa = rasa
        self.store = store
        self.known_intents = known_intents or set()
        self.learning = learning
        self.composer = composer
        self.support = support
        self.privacy = privacy

    async def refresh_intents(self) -> None:
        """Learn the model's intents so stale buttons (from an older model) can be recognised."""
        try:
            self.known_intents = await self._rasa.intents()
        except RasaUnavailable as exc:
            log.warning("could not load intents from Rasa: %s", exc)

    async def aclose(self) -> None:
        if self.privacy is not None:
            await self.privacy.aclose()
        await self._rasa.aclose()

    @staticmethod
    def sender_id(who: SellerIdentity) -> str:
        return str(who.chat_id)

    def is_valid_payload(self, payload: str) -> bool:
        match = PAYLOAD_PATTERN.match(payload)
        if match is None or len(payload.encode("utf-8")) > 64:
            return False
        intent = match["intent"]
        return not self.known_intents or intent in self.known_intents or intent in DEFAULT_INTENTS

    async def handle_text(
        self,
        who: SellerIdentity,
        text: str,
        *,
        kind: str = "text",
        telegram_message_id: int | None = None,
        rich: Content | None = None,
    ) -> Turn:
        """`rich`: the text with its Telegram formatting, for a trainer composing a broadcast."""
        incoming_id = await self.store.record_incoming(
            who, kind=kind, text=text, telegram_message_id=telegram_message_id
        )
        if self.composer is not None:
            content = rich or Content(text=text, html=html.escape(text, quote=False))
            composed = await self.composer.take_input(who, content)
            if composed is not None:
                await self.store.finish_incoming(incoming_id, status="compose")
                return Turn(incoming_id, composed)
        if self.support is not None:
            # In a handoff, typed text is for staff (stored, never sent to Rasa), however long.
            held = await self.support.hold(who, incoming_id, typed=True)
            if held is not None:
                return Turn(incoming_id, held)
        stripped = text.strip()
        if len(stripped) > MAX_NLU_CHARS:
            await self.store.finish_incoming(incoming_id, status="too_long")
            return Turn(incoming_id, local_reply(texts.TOO_LONG, with_topics=False))
        if not _HAS_WORD.search(stripped):
            await self.store.finish_incoming(incoming_id, status="no_words")
            return Turn(incoming_id, local_reply(texts.NO_WORDS))
        if self.learning is not None:
            answered = await self.learning.profile_text(who, stripped)
            if answered is not None:
                await self.store.finish_incoming(incoming_id, status="profile")
                return Turn(incoming_id, answered)
        return await self._ask_rasa(who, incoming_id, stripped, typed=True)

    async def handle_button(
        self, who: SellerIdentity, payload: str, *, telegram_message_id: int | None = None
    ) -> Turn:
        if self.privacy is not None and privacy_texts.is_deletion_data(payload):
            # Not recorded: storing the press would recreate the seller being deleted.
            return await self._deletion_button(who, payload)
        incoming_id = await self.store.record_incoming(
            who, kind="callback", text=payload, telegram_message_id=telegram_message_id
        )
        if self.privacy is not None and payload == privacy_texts.SHOW_FULL.payload:
            await self.store.finish_incoming(incoming_id, status="privacy")
            return Turn(incoming_id, self.privacy.full_text())
        if self.composer is not None:
            composed = await self.composer.button(who, payload)
            if composed is not None:
                await self.store.finish_incoming(incoming_id, status="compose")
                return Turn(incoming_id, composed)
        if self.support is not None:
            handled = await self.support.button(who, incoming_id, payload)
            if handled is not None:
                return Turn(incoming_id, handled)
        if self.learning is not None:
            messages = await self._learning_button(who, payload)
            if messages is not None:
                await self.store.finish_incoming(incoming_id, status="learning")
                return Turn(incoming_id, messages)
        if not self.is_valid_payload(payload):
            await self.store.finish_incoming(incoming_id, status="stale_button")
            return Turn(incoming_id, local_reply(texts.STALE_BUTTON))
        return await self._ask_rasa(who, incoming_id, payload)

    async def _learning_button(
        self, who: SellerIdentity, payload: str
    ) -> list[OutgoingMessage] | None:
        assert self.learning is not None
        action = learning_callbacks.parse(payload)
        if action is not None:
            return await self.learning.handle(who, action)
        return await self.learning.profile_button(who, payload)

    async def handle_start(self, who: SellerIdentity, *, telegram_message_id: int | None) -> Turn:
        incoming_id = await self.store.record_incoming(
            who, kind="command", text="/start", telegram_message_id=telegram_message_id
        )
        turn = await self._ask_rasa(who, incoming_id, "/mulai")
        if self.privacy is not None:
            # After the welcome, before the profile questions that ask for personal data.
            turn.messages.extend(await self.privacy.notice_if_new(who))
        if self.learning is not None:
            turn.messages.extend(await self.learning.onboarding_invitation(who))
        return turn

    async def handle_help(
        self, who: SellerIdentity, command: str, *, telegram_message_id: int | None
    ) -> Turn:
        """/bantuan and /help: a fixed overview, answered locally. It needs no NLU, so it also
        works while Rasa restarts and during a handoff (like /modul), when a lost seller needs it
        most; its buttons then behave as they do anywhere else."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        await self.store.finish_incoming(incoming_id, status="help")
        return Turn(
            incoming_id,
            [
                OutgoingMessage(text=texts.HELP_QUESTIONS),
                OutgoingMessage(text=texts.HELP_MORE, buttons=texts.HELP_BUTTONS),
            ],
        )

    async def handle_privacy_command(
        self, who: SellerIdentity, command: str, *, telegram_message_id: int | None
    ) -> Turn:
        """/privasi (the full privacy text) and /hapusdata (asks to confirm the deletion)."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        if self.privacy is None:
            await self.store.finish_incoming(incoming_id, status="unknown_command")
            return Turn(incoming_id, local_reply(texts.UNKNOWN_COMMAND))
        if command.lstrip("/").lower() == "hapusdata":
            messages = await self.privacy.ask_deletion(who)
        else:
            messages = self.privacy.full_text()
        await self.store.finish_incoming(incoming_id, status="privacy")
        return Turn(incoming_id, messages)

    async def _deletion_button(self, who: SellerIdentity, payload: str) -> Turn:
        assert self.privacy is not None
        outcome = await self.privacy.deletion_button(who, payload)
        if outcome.deleted:
            # Rasa got the seller's words unmasked: its copy goes too (memory, or SQL rows).
            await self._rasa.forget(self.sender_id(who))
            await self.privacy.forget_conversation(self.sender_id(who))
        return Turn(None, outcome.messages)

    async def handle_profile_command(
        self, who: SellerIdentity, command: str, *, telegram_message_id: int
    ) -> Turn:
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        if self.learning is None:
            await self.store.finish_incoming(incoming_id, status="unknown_command")
            return Turn(incoming_id, local_reply(texts.UNKNOWN_COMMAND))
        messages = await self.learning.show_profile(who)
        await self.store.finish_incoming(incoming_id, status="profile")
        return Turn(incoming_id, messages)

    async def handle_command(
        self, who: SellerIdentity, command: str, payload: str | None, *, telegram_message_id: int
    ) -> Turn:
        """A slash command: mapped ones go to Rasa as an intent payload, others get help."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        if payload is None:
            await self.store.finish_incoming(incoming_id, status="unknown_command")
            return Turn(incoming_id, local_reply(texts.UNKNOWN_COMMAND))
        return await self._ask_rasa(who, incoming_id, payload)

    async def handle_learning_command(
        self, who: SellerIdentity, command: str, action: LearningAction, *, telegram_message_id: int
    ) -> Turn:
        """/modul and /progres: learning screens straight from the database, no NLU needed."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        if self.learning is None:
            await self.store.finish_incoming(incoming_id, status="unknown_command")
            return Turn(incoming_id, local_reply(texts.UNKNOWN_COMMAND))
        messages = await self.learning.handle(who, action)
        await self.store.finish_incoming(incoming_id, status="learning")
        return Turn(incoming_id, messages)

    async def handle_broadcast_preference(
        self, who: SellerIdentity, command: str, *, opted_out: bool, telegram_message_id: int
    ) -> Turn:
        """/berhenti and /mulai: stop or resume trainer broadcasts for this seller."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        await self.store.set_broadcast_opt_out(who, opted_out)
        await self.store.finish_incoming(
            incoming_id, status="opted_out" if opted_out else "opted_in"
        )
        text = texts.BROADCAST_STOPPED if opted_out else texts.BROADCAST_RESUMED
        return Turn(incoming_id, local_reply(text, with_topics=not opted_out))

    async def handle_role_command(
        self, who: SellerIdentity, text: str, *, telegram_message_id: int
    ) -> Turn:
        """/peran USER_ID admin|trainer|support|hapus: admins manage staff roles in Telegram."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=text, telegram_message_id=telegram_message_id
        )
        reply = await self.store.apply_role_command(who.telegram_user_id, text.split()[1:])
        await self.store.finish_incoming(incoming_id, status="staff")
        return Turn(incoming_id, local_reply(reply, with_topics=False))

    async def handle_compose_command(
        self, who: SellerIdentity, command: str, *, telegram_message_id: int
    ) -> Turn:
        """/siaran starts composing a broadcast (trainers only); /batal drops the draft."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        messages: list[OutgoingMessage] | None = None
        if self.composer is not None:
            if command.lstrip("/").lower() == "siaran":
                messages = await self.composer.start(who)
            else:
                messages = await self.composer.cancel(who)
        if messages is not None:
            await self.store.finish_incoming(incoming_id, status="compose")
            return Turn(incoming_id, messages)
        if command.lstrip("/").lower() == "batal":
            # No draft: a seller cancelling something else (the weight calculator form).
            return await self._ask_rasa(who, incoming_id, "/tidak")
        await self.store.finish_incoming(incoming_id, status="unknown_command")
        return Turn(incoming_id, local_reply(texts.UNKNOWN_COMMAND))

    async def handle_whoami(
        self, who: SellerIdentity, command: str, *, telegram_message_id: int
    ) -> Turn:
        """/idsaya: the number an admin needs to grant a role (Telegram does not show it)."""
        incoming_id = await self.store.record_incoming(
            who, kind="command", text=command, telegram_message_id=telegram_message_id
        )
        await self.store.finish_incoming(incoming_id, status="whoami")
        return Turn(incoming_id, local_reply(texts.whoami(who.telegram_user_id), with_topics=False))

    async def handle_unsupported(
        self,
        who: SellerIdentity,
        kind: str,
        *,
        telegram_message_id: int | None,
        rich: Content | None = None,
    ) -> Turn:
        """A sticker, photo, file...: a trainer's draft may be waiting for exactly that."""
        incoming_id = await self.store.record_incoming(
            who,
            kind=kind,
            text=rich.text if rich and rich.text else None,
            telegram_message_id=telegram_message_id,
        )
        if self.composer is not None:
            composed = await self.composer.take_input(who, rich)
            if composed is not None:
                await self.store.finish_incoming(incoming_id, status="compose")
                return Turn(incoming_id, composed)
        await self.store.finish_incoming(incoming_id, status="unsupported")
        return Turn(incoming_id, local_reply(texts.unsupported_text(kind)))

    async def _ask_rasa(
        self, who: SellerIdentity, incoming_id: int, text: str, *, typed: bool = False
    ) -> Turn:
        """`typed`: the seller's own words (already checked against a handoff by handle_text),
        not a button or command; only answers to those get the 👍/👎 row."""
        if self.support is not None and not typed:
            held = await self.support.hold(who, incoming_id, typed=False)
            if held is not None:
                return Turn(incoming_id, held)
        metadata = {"first_name": who.first_name, "telegram_user_id": who.telegram_user_id}
        try:
            turn = await self._rasa.send(self.sender_id(who), text, metadata)
        except RasaUnavailable as exc:
            log.error("Rasa unavailable for message %s: %s", incoming_id, exc)
            await self.store.finish_incoming(incoming_id, status="rasa_unavailable", error=str(exc))
            return Turn(incoming_id, local_reply(texts.SERVICE_DOWN, with_topics=False))
        messages = await self._render(who, turn.replies)
        if not messages:
            # Rasa answered with nothing: typically the action server is down or timed out.
            log.error("Rasa produced no reply for message %s", incoming_id)
            await self.store.finish_incoming(
                incoming_id, status="no_reply", nlu=turn.nlu, error="Rasa returned no messages"
            )
            return Turn(incoming_id, local_reply(texts.SERVICE_DOWN, with_topics=False))
        await self.store.finish_incoming(incoming_id, status="answered", nlu=turn.nlu)
        if self.support is not None:
            if is_handoff_request(turn.nlu, text):
                # Rasa's own reply is replaced: the bot says what really happens now.
                messages, notices = await self.support.start_handoff(who, incoming_id)
                return Turn(incoming_id, messages, notices)
            if typed and not any(r.custom for r in turn.replies):
                messages = self.support.with_feedback(messages, incoming_id, turn.nlu)
        return Turn(incoming_id, messages)

    async def _render(
        self, who: SellerIdentity, replies: tuple[RasaReply, ...]
    ) -> list[OutgoingMessage]:
        """Rasa's replies as messages; a learning directive becomes that learning screen."""
        messages: list[OutgoingMessage] = []
        for reply in replies:
            if reply.custom is not None and "akar_view" in reply.custom:
                if self.learning is not None:
                    messages += await self.learning.directive(who, reply.custom)
                continue
            messages += render_replies([reply])
        return messages

    async def record_sent(
        self,
        turn: Turn,
        message: OutgoingMessage,
        *,
        telegram_message_id: int | None,
        status: str = "sent",
        error: str | None = None,
    ) -> None:
        if turn.incoming_id is None:
            return
        await self.store.record_outgoing(
            turn.incoming_id,
            text=message.text
            or (message.document.filename if message.document else "")
            or (message.image_url or ""),
            telegram_message_id=telegram_message_id,
            delivery_status=status,
            error=error,
        )

    async def mark_blocked(self, telegram_user_id: int) -> None:
        await self.store.mark_blocked(telegram_user_id)
