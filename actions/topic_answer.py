"""Answers a topic question with the specific answer the ResponseSelector chose.

Topic intents are retrieval intents (`tanya_cod/aktifkan`, ...): DIET decides the topic, the
ResponseSelector the sub-question. One ResponseSelector serves every topic, so its single best
answer may belong to another topic than DIET's; this action takes the best-ranked answer inside
DIET's topic instead, so the seller never gets a COD answer to an ongkir question. Rasa's NLG
renders it, which applies the platform-specific variant when the seller named a platform.
Every answer ends with the topic's training-module button and "Tanya lagi".

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

from actions.chargeable_weight import (
    Divisor,
    chargeable_weight,
    courier_divisor,
    explain,
    parse_dimensions,
    parse_weight,
)
from actions.labels import TANYA_LAGI, TOPIC_LABELS, Button, button, module_button
from actions.route import route_from, route_text

ONGKIR: Final = "tanya_ongkir"
BERAT: Final = "berat"
DIMENSI: Final = "dimensi"
KURIR: Final = "kurir"
HITUNG_BERAT_FORM: Final = "hitung_berat_form"
# Sub-questions about weight: only these start the form when a size is half given.
WEIGHT_SUBS: Final = frozenset({"hitung_berat", "berat_volume"})
DEFAULT_SELECTOR: Final = "default"
# Answers about the price of a route: the route is repeated first ("Pengiriman ke Makassar ya").
# None = no specific answer (the overview); other answers do not need the line before them.
ROUTE_SUBS: Final = frozenset({"cek_tarif", "cara_hitung", None})


def overview_response(intent: str) -> str:
    """The topic's general answer, for a topic button (no text, so no ResponseSelector)."""
    return "utter_" + intent.removeprefix("tanya_")


def chosen_response(message: Mapping[str, Any], intent: str) -> str | None:
    """`utter_<intent>/<sub>` for the best-ranked answer within `intent`, or None."""
    selector = message.get("response_selector") or {}
    for key in (intent, DEFAULT_SELECTOR):
        block = selector.get(key) or {}
        candidates: list[Any] = [*(block.get("ranking") or []), block.get("response") or {}]
        for entry in candidates:
            key_name = entry.get("intent_response_key") if isinstance(entry, dict) else None
            if isinstance(key_name, str) and key_name.split("/", 1)[0] == intent:
                return f"utter_{key_name}"
    return None


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
        response = chosen_response(message, intent)
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
            route = route_text(route_from(entities))
            if route and sub_question(response) in ROUTE_SUBS:
                dispatcher.utter_message(text=route)
        dispatcher.utter_message(
            response=response or overview_response(intent), buttons=answer_buttons(intent)
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
