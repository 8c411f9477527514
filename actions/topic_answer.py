"""Answers a topic question with the specific answer the NLU ranked best inside its topic.

Topic intents are retrieval intents (`tanya_cod/aktifkan`, ...). The NLU
(akar_nlu/answer_classifier.py) names the topic and ranks every specific answer in
`response_selector`; this action takes the best-ranked answer inside the chosen topic, so the
seller never gets a COD answer to an ongkir question. Rasa's NLG renders it, which applies the
platform-specific variant when the seller named a platform. Every answer ends with the topic's
training-module button and "Tanya lagi".

When the best two answers inside the topic are close (the runner-up has at least
CLARIFY_RATIO of the best one's probability), a guess would often be wrong, so the seller is
asked "Maksud Kakak yang mana?" with two or three buttons, each titled with its answer's
`metadata.judul` from the domain. A button's payload names the answer
(`/tanya_cod{"jawaban":"paket_ditolak"}`), which is then sent without asking again.

Answers are rendered here, not by Rasa's NLG (actions/answer_text.py says why): a long answer's
first bubble ends with "Selengkapnya" (`{"lanjut": sub}` sends the rest) and every answer has
"📎 Sumber" (`{"sumber": sub}` lists its sources).

An ongkir question that gives the parcel's weight and size gets the chargeable-weight
calculation; one that gives only one of them starts a form that asks for the other. A courier the
seller named (`kurir` entity) in the question or in the form's answers picks the volumetric
divisor (actions/chargeable_weight.py, COURIER_DIVISORS).
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.answer_text import sources_of, sources_text, split_for_chat, variation_for
from actions.chargeable_weight import (
    Divisor,
    chargeable_weight,
    courier_divisor,
    explain,
    parse_dimensions,
    parse_weight,
)
from actions.labels import (
    TANYA_LAGI,
    TOPIC_LABELS,
    Button,
    answer_choice_button,
    button,
    module_button,
    more_button,
    sources_button,
)
from actions.route import route_from, route_text

ONGKIR: Final = "tanya_ongkir"
BERAT: Final = "berat"
DIMENSI: Final = "dimensi"
KURIR: Final = "kurir"
HITUNG_BERAT_FORM: Final = "hitung_berat_form"
# Sub-questions about weight: only these start the form when a size is half given.
WEIGHT_SUBS: Final = frozenset({"hitung_berat", "berat_volume"})
DEFAULT_SELECTOR: Final = "default"
# Set only by buttons' payloads, never by the NLU (see the module docstring): the answer chosen
# after "Maksud Kakak yang mana?", the rest of a long answer, an answer's sources.
JAWABAN: Final = "jawaban"
LANJUT: Final = "lanjut"
SUMBER: Final = "sumber"
# Ask instead of guessing when the runner-up answer has at least this share of the best one's
# probability. The classifier's probabilities are peaked, so a runner-up at a fifth of the best
# is already a real doubt. Chosen on the held-out set (docs/BENCHMARKS.md): asked for ~3% of
# topic questions, with the right answer among the buttons ~87% of the time, against ~40%
# right if the bot had guessed.
CLARIFY_RATIO: Final = 0.2
MAX_CHOICES: Final = 3
CLARIFY_TEXT: Final = "Maksud Kakak yang mana? 🙂"
# Answers about the price of a route: the route is repeated first ("Pengiriman ke Makassar ya").
# None = no specific answer (the overview); other answers do not need the line before them.
ROUTE_SUBS: Final = frozenset({"cek_tarif", "cara_hitung", None})


def overview_response(intent: str) -> str:
    """The topic's general answer, for a topic button (no text, so no ResponseSelector)."""
    return "utter_" + intent.removeprefix("tanya_")


def ranked_within(message: Mapping[str, Any], intent: str) -> list[tuple[str, float]]:
    """(`<intent>/<sub>`, confidence) for every answer of `intent`, best first."""
    selector = message.get("response_selector") or {}
    for key in (intent, DEFAULT_SELECTOR):
        block = selector.get(key) or {}
        candidates: list[Any] = [*(block.get("ranking") or []), block.get("response") or {}]
        ranked: dict[str, float] = {}
        for entry in candidates:
            key_name = entry.get("intent_response_key") if isinstance(entry, dict) else None
            if isinstance(key_name, str) and key_name.split("/", 1)[0] == intent:
                confidence = entry.get("confidence")
                value = float(confidence) if isinstance(confidence, int | float) else 0.0
                ranked[key_name] = max(ranked.get(key_name, 0.0), value)
        if ranked:
            return sorted(ranked.items(), key=lambda item: -item[1])
    return []


def chosen_response(message: Mapping[str, Any], intent: str) -> str | None:
    """`utter_<intent>/<sub>` for the best-ranked answer within `intent`, or None."""
    ranked = ranked_within(message, intent)
    return f"utter_{ranked[0][0]}" if ranked else None


def close_answers(ranked: list[tuple[str, float]]) -> list[str]:
    """The answers worth offering when the best is not clearly ahead; [] to answer directly."""
    if len(ranked) < 2 or ranked[0][1] <= 0:
        return []
    best = ranked[0][1]
    close = [key for key, confidence in ranked if confidence >= CLARIFY_RATIO * best]
    return close[:MAX_CHOICES] if len(close) >= 2 else []


def answer_title(domain: Mapping[str, Any], key: str) -> str | None:
    """The answer's short title (`metadata.judul` of its first variation in the domain)."""
    variations = (domain.get("responses") or {}).get(f"utter_{key}") or []
    for variation in variations:
        title = (
            (variation.get("metadata") or {}).get("judul") if isinstance(variation, dict) else None
        )
        if isinstance(title, str) and title.strip():
            return title.strip()
    return None


def named_answer(
    message: Mapping[str, Any], intent: str, domain: Mapping[str, Any], entity: str
) -> str | None:
    """`<intent>/<sub>` a button named in `entity`, if it is one of `intent`'s answers."""
    for value in entity_values(message.get("entities"), entity):
        if f"utter_{intent}/{value}" in (domain.get("responses") or {}):
            return f"{intent}/{value}"
    return None


def send_answer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: Mapping[str, Any],
    key: str,
    part: str = "first",
) -> None:
    """Sends answer `key`: its first bubble (part "first"), the rest ("rest") or its sources."""
    intent, _, sub = key.partition("/")
    variations = (domain.get("responses") or {}).get(f"utter_{key}") or []
    variation = variation_for(variations, tracker.current_slot_values())
    if variation is None or not variation.get("text"):
        # No domain to render from (never so on the server): Rasa's NLG renders it whole.
        dispatcher.utter_message(response=f"utter_{key}", buttons=answer_buttons(intent))
        return
    if part == SUMBER:
        text = sources_text(sources_of(variations, variation))
        dispatcher.utter_message(text=text, buttons=answer_buttons(intent))
        return
    first, rest = split_for_chat(str(variation["text"]))
    buttons = [sources_button(intent, sub), *answer_buttons(intent)]
    if part == LANJUT:
        dispatcher.utter_message(text=rest or first, buttons=buttons)
    elif rest:
        dispatcher.utter_message(text=first, buttons=[more_button(intent, sub), *buttons])
    else:
        dispatcher.utter_message(text=first, buttons=buttons)


def sub_question(response: str | None) -> str | None:
    return response.split("/", 1)[1] if response and "/" in response else None


def entity_values(entities: Iterable[Mapping[str, Any]] | None, name: str) -> list[str]:
    return [
        str(entity["value"])
        for entity in entities or ()
        if entity.get("entity") == name and entity.get("value") not in (None, "")
    ]


def answer_buttons(intent: str) -> list[Button]:
    return [module_button(intent), button("Tanya lagi", TANYA_LAGI)]


def reset_sizes() -> list[dict[str, Any]]:
    return [SlotSet(BERAT, None), SlotSet(DIMENSI, None)]


def divisor_from_messages(messages: Iterable[Mapping[str, Any]]) -> Divisor:
    """The divisor for the first courier named in `messages` (newest first)."""
    texts: list[str] = []
    couriers: list[str] = []
    for message in messages:
        texts.append(str(message.get("text") or ""))
        couriers += entity_values(message.get("entities"), KURIR)
    return courier_divisor(couriers, texts)


def form_messages(tracker: Tracker) -> list[Mapping[str, Any]]:
    """The seller's messages of this calculation, newest first: the form's answers and the
    question that started the form (the user message just before the form became active)."""
    messages: list[Mapping[str, Any]] = [tracker.latest_message or {}]
    form_started = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "active_loop" and event.get("name") == HITUNG_BERAT_FORM:
            form_started = True
        elif event.get("event") == "user":
            parsed = event.get("parse_data") or {}
            messages.append({"text": event.get("text"), "entities": parsed.get("entities")})
            if form_started:
                break
    return messages


def utter_chargeable_weight(
    dispatcher: CollectingDispatcher,
    weight_text: str,
    dimensions_text: str,
    divisor: Divisor | None = None,
) -> bool:
    """Sends the calculation; False when either value cannot be read."""
    weight = parse_weight(weight_text)
    dimensions = parse_dimensions(dimensions_text)
    if weight is None or dimensions is None:
        return False
    divisor = divisor or courier_divisor(())
    result = chargeable_weight(weight, dimensions, divisor.value)
    dispatcher.utter_message(
        text=explain(result, dimensions, weight, divisor), buttons=answer_buttons(ONGKIR)
    )
    return True


class ActionJawabTopik(Action):
    """The answer to every topic intent (see the rules in stories/rules.yml)."""

    def name(self) -> str:
        return "action_jawab_topik"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name") or ""
        if intent not in TOPIC_LABELS:
            return [FollowupAction("action_tawarkan_topik")]
        for entity, part in ((JAWABAN, "first"), (LANJUT, LANJUT), (SUMBER, SUMBER)):
            named = named_answer(message, intent, domain, entity)
            if named:
                send_answer(dispatcher, tracker, domain, named, part)
                return []
        ranked = ranked_within(message, intent)
        response = f"utter_{ranked[0][0]}" if ranked else None
        events: list[dict[str, Any]] = []
        if intent == ONGKIR:
            entities = message.get("entities")
            weights = entity_values(entities, BERAT)
            sizes = entity_values(entities, DIMENSI)
            divisor = divisor_from_messages([message])
            if (
                weights
                and sizes
                and utter_chargeable_weight(dispatcher, weights[0], sizes[0], divisor)
            ):
                return reset_sizes()
            if sizes or (weights and sub_question(response) in WEIGHT_SUBS):
                return [FollowupAction(HITUNG_BERAT_FORM)]
            events = reset_sizes()
        choices = [
            (key, title)
            for key in close_answers(ranked)
            if (title := answer_title(domain, key)) is not None
        ]
        if len(choices) >= 2:
            dispatcher.utter_message(
                text=CLARIFY_TEXT, buttons=[answer_choice_button(k, t) for k, t in choices]
            )
            return events
        if intent == ONGKIR:
            route = route_text(route_from(message.get("entities")))
            if route and sub_question(response) in ROUTE_SUBS:
                dispatcher.utter_message(text=route)
        if ranked:
            send_answer(dispatcher, tracker, domain, ranked[0][0])
        else:
            dispatcher.utter_message(
                response=overview_response(intent), buttons=answer_buttons(intent)
            )
        return events


class ActionHitungBerat(Action):
    """After the form has both values: the calculation, then a clean slate for the next one."""

    def name(self) -> str:
        return "action_hitung_berat"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        weight = tracker.get_slot(BERAT)
        sizes = tracker.get_slot(DIMENSI)
        divisor = divisor_from_messages(form_messages(tracker))
        if not utter_chargeable_weight(dispatcher, str(weight or ""), str(sizes or ""), divisor):
            dispatcher.utter_message(response="utter_hitung_berat_gagal")
        return reset_sizes()
