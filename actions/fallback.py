"""What the assistant does when the NLU is not sure (`nlu_fallback`).

Guessing wrong makes a new seller lose trust, and a bare "I don't understand" leaves them stuck.
So the seller gets the two or three topics the model found likeliest as buttons, plus a way to
reach a person.
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
    TOPIC_LABELS,
    Button,
    button,
    topic_button,
)

MAX_CANDIDATES: Final = 3
# Below this the model is only guessing; suggesting such a topic would look random.
MIN_CANDIDATE_CONFIDENCE: Final = 0.1

FALLBACK_TEXT: Final = (
    "Maaf, Kak, saya belum yakin maksud pertanyaannya 🙏\n"
    "Apakah tentang salah satu topik ini? Kalau bukan, coba tulis dengan kata lain, "
    "atau hubungi tim kami."
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
    buttons.append(button("Hubungi tim", MINTA_BANTUAN_MANUSIA))
    return buttons


class ActionTawarkanTopik(Action):
    """Answers `nlu_fallback` with the likeliest topics as buttons and "Hubungi tim"."""

    def name(self) -> str:
        return "action_tawarkan_topik"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        ranking = (tracker.latest_message or {}).get("intent_ranking")
        dispatcher.utter_message(text=FALLBACK_TEXT, buttons=fallback_buttons(ranking))
        return []
