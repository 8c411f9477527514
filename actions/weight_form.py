"""Checks the answers to the chargeable-weight form ("berapa beratnya?", "berapa ukurannya?").

Sellers answer in every format ("1,5kg", "800 gram", "30 x 20 x 10"); whatever cannot be read
is asked again with an example rather than guessed.
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Tracker
from rasa_sdk.types import DomainDict

from actions.chargeable_weight import parse_dimensions, parse_weight


class ValidateHitungBeratForm(FormValidationAction):
    def name(self) -> str:
        return "validate_hitung_berat_form"

    def validate_berat(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if parse_weight(str(slot_value or "")) is not None:
            return {"berat": slot_value}
        dispatcher.utter_message(response="utter_berat_tidak_terbaca")
        return {"berat": None}

    def validate_dimensi(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if parse_dimensions(str(slot_value or "")) is not None:
            return {"dimensi": slot_value}
        dispatcher.utter_message(response="utter_dimensi_tidak_terbaca")
        return {"dimensi": None}
