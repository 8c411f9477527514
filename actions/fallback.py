"""What the assistant does when the NLU is not sure (`nlu_fallback`): two stages.

Guessing wrong makes a new seller lose trust, and a bare "I don't understand" leaves them stuck.
First miss: the two topics the model found likeliest as buttons, plus "Bukan keduanya".
Second miss in a row (another unclear message, or "Bukan keduanya"): the offer of a person.
The count comes from the conversation itself (consecutive `nlu_fallback` turns), so no slot
has to be reset after every other answer.
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.labels import (
    DEFAULT_TOPICS,
    MINTA_BANTUAN_MANUSIA,
    TANYA_LAGI,
    TOPIC_LABELS,
    Button,
    button,
    topic_button,
)

MAX_CANDIDATES: Final = 2
NLU_FALLBACK: Final = "nlu_fallback"
# "Bukan keduanya" sends the fallback intent itself: it is a miss like an unclear message.
BUKAN_KEDUANYA: Final = "Bukan keduanya"
# Below this the model is only guessing; suggesting such a topic would look random.
MIN_CANDIDATE_CONFIDENCE: Final = 0.1

FALLBACK_TEXT: Final = "Maaf, Kak, saya belum yakin maksud pertanyaannya 🙏\nMaksud Kakak tentang:"
HANDOFF_OFFER_TEXT: Final = (
    "Maaf, Kak, saya masih belum bisa menangkap maksudnya 🙏\n"
    "Mau saya teruskan ke tim pendamping AKAR? Mereka akan membantu langsung. "
    "Atau coba tulis pertanyaannya dengan kata lain."
)


def candidate_topics(
    intent_ranking: Iterable[dict[str, Any]] | None,
    *,
    limit: int = MAX_CANDIDATES,
    min_confidence: float = MIN_CANDIDATE_CONFIDENCE,
) -> list[str]:
    """Topic intents from the NLU ranking, likeliest first, padded with the default topics.

    `nlu_fallback` and conversation intents (greetings, thanks, ...) are skipped: a button
    "Sapa" would help no one. With fewer than `limit` plausible topics, the most asked-about
    topics (COD, ongkir, toko sepi) fill the remaining places.
    """
    chosen: list[str] = []
    for entry in intent_ranking or ():
        if len(chosen) == limit:
            break
        name = entry.get("name")
        confidence = entry.get("confidence")
        if not isinstance(name, str) or name not in TOPIC_LABELS or name in chosen:
            continue
        if not isinstance(confidence, int | float) or confidence < min_confidence:
            continue
        chosen.append(name)
    for default in DEFAULT_TOPICS:
        if len(chosen) == limit:
            break
        if default not in chosen:
            chosen.append(default)
    return chosen


def fallback_buttons(intent_ranking: Iterable[dict[str, Any]] | None) -> list[Button]:
    buttons = [topic_button(intent) for intent in candidate_topics(intent_ranking)]
    buttons.append(button(BUKAN_KEDUANYA, NLU_FALLBACK))
    return buttons


def handoff_buttons() -> list[Button]:
    return [button("Ya, hubungi tim", MINTA_BANTUAN_MANUSIA), button("Lihat topik", TANYA_LAGI)]


def consecutive_misses(events: Iterable[dict[str, Any]]) -> int:
    """How many of the latest user turns in a row the NLU could not place."""
    misses = 0
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != NLU_FALLBACK:
            break
        misses += 1
    return misses


class ActionTawarkanTopik(Action):
    """Answers `nlu_fallback`: likeliest topics first, the offer of a person on a second miss."""

    def name(self) -> str:
        return "action_tawarkan_topik"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        if consecutive_misses(tracker.events) >= 2:
            dispatcher.utter_message(text=HANDOFF_OFFER_TEXT, buttons=handoff_buttons())
            return []
        ranking = (tracker.latest_message or {}).get("intent_ranking")
        dispatcher.utter_message(text=FALLBACK_TEXT, buttons=fallback_buttons(ranking))
        return []
