"""Answers "lihat modul": asks the front end for the module catalogue, or for one module.

The catalogue, lessons and each seller's progress live in the bot's database (issue #4), so the
action only says which screen to show (a `json_message` the bot renders); a module button on a
topic answer (`/lihat_modul{"topik":"cod"}`) opens that topic's module.
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from typing import Any, Final

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.labels import MODULE_BY_KEY, Module

TOPIK: Final = "topik"


def requested_module(entities: Any) -> Module | None:
    for entity in entities or ():
        if isinstance(entity, dict) and entity.get("entity") == TOPIK:
            return MODULE_BY_KEY.get(str(entity.get("value")))
    return None


def screen(module: Module | None) -> dict[str, str]:
    """The learning screen the front end should show (see bot/learning/facade.py)."""
    if module is None:
        return {"akar_view": "catalogue"}
    return {"akar_view": "module", "module": module.key}


class ActionLihatModul(Action):
    def name(self) -> str:
        return "action_lihat_modul"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        module = requested_module((tracker.latest_message or {}).get("entities"))
        dispatcher.utter_message(json_message=screen(module))
        return []
