"""👍/👎 on the bot's answers: which answers get the buttons, their callback data, the vote.

The vote is stored on the seller's incoming message (the question), so the inbox can filter
"negative feedback" and show which question was answered badly. Pressing again changes it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from bot.db.models import MAX_ROW_ID, Direction, Message, Seller
from bot.rasa_client import NluResult, is_answer_choice
from bot.rendering import Button, OutgoingMessage, fits_callback_data
from bot.support import texts

UP: Final = "up"
DOWN: Final = "down"
PREFIX: Final = "f:"
_VOTES: Final = {"u": UP, "d": DOWN}
# f:<incoming message id>:u|d — at most 2 + 18 + 2 bytes, far under Telegram's 64.
_PATTERN: Final = re.compile(r"^f:(?P<id>[1-9]\d{0,17}):(?P<vote>[ud])$")
# Intents whose reply is an answer to a question (worth rating), rather than a greeting, a menu,
# a learning screen, the fallback's "did you mean" menu or the handoff itself.
_ANSWER_INTENTS: Final = frozenset({"bot_challenge", "di_luar_topik"})
_NOT_ANSWERS: Final = frozenset({"tanya_lagi"})
# The status the conversation core gives a message Rasa answered (the only ones with buttons).
ANSWERED: Final = "answered"
# Only the seller's own words get the buttons (not button presses or commands).
TYPED_KINDS: Final = frozenset({"text", "edited"})


@dataclass(frozen=True)
class Vote:
    message_id: int
    feedback: str  # UP or DOWN


def payload(message_id: int, feedback: str) -> str:
    return f"{PREFIX}{message_id}:{'u' if feedback == UP else 'd'}"


def is_feedback_data(data: str) -> bool:
    """Callback data meant for feedback, well-formed or not (malformed gets a friendly reply)."""
    return data.startswith(PREFIX)


def parse(data: str) -> Vote | None:
    match = _PATTERN.match(data)
    if match is None or int(match["id"]) > MAX_ROW_ID:  # tampered: no message has that id
        return None
    return Vote(int(match["id"]), _VOTES[match["vote"]])


def is_answer_intent(intent: str | None) -> bool:
    if not intent or intent in _NOT_ANSWERS:
        return False
    return intent.startswith("tanya_") or intent in _ANSWER_INTENTS


def wants_feedback(nlu: NluResult | None) -> bool:
    """Rate this reply? Only a real answer: a topic (or scope / "are you a bot") answer, and not
    while a form is still asking for details (the ongkir calculator's questions)."""
    return nlu is not None and is_answer_intent(nlu.intent) and nlu.active_loop is None


def asks_which_answer(messages: list[OutgoingMessage]) -> bool:
    """A "Maksud Kakak yang mana?" question: nothing to rate yet, the answer comes after."""
    return any(is_answer_choice(b.payload) for m in messages for b in m.flat_buttons)


def with_feedback_row(messages: list[OutgoingMessage], incoming_id: int) -> list[OutgoingMessage]:
    """The same messages, with a 👍/👎 row added last under the last one (its buttons kept)."""
    if not messages:
        return messages
    row = (
        Button(texts.FEEDBACK_UP_TITLE, payload(incoming_id, UP)),
        Button(texts.FEEDBACK_DOWN_TITLE, payload(incoming_id, DOWN)),
    )
    assert all(fits_callback_data(b.payload) for b in row)
    last = messages[-1]
    return [*messages[:-1], dataclasses.replace(last, buttons=(*last.buttons, row))]


def record(session: Session, seller: Seller, vote: Vote, now: datetime) -> Message | None:
    """Store the vote on the seller's own answered question; None for anything else (another
    seller's message, an unknown id, a message that never had the buttons)."""
    message = session.get(Message, vote.message_id)
    if (
        message is None
        or message.seller_id != seller.id
        or message.direction != Direction.IN
        or message.delivery_status != ANSWERED
        or message.kind not in TYPED_KINDS
        or not is_answer_intent(message.intent)
    ):
        return None
    message.feedback = vote.feedback
    message.feedback_at = now
    return message
