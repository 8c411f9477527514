"""Answers "lihat modul": the module list, or one module when a topic answer's button says which.

The lessons themselves arrive with the AKAR content (issue #4); until then a module button
opens the module's overview and leads back to the questions the assistant can already answer.
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from typing import Any, Final

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.labels import MODULE_BY_KEY, TANYA_LAGI, Module, button, topic_button

TOPIK: Final = "topik"


def requested_module(entities: Any) -> Module | None:
    for entity in entities or ():
        if isinstance(entity, dict) and entity.get("entity") == TOPIK:
            return MODULE_BY_KEY.get(str(entity.get("value")))
    return None


def module_text(module: Module) -> str:
    return (
        f"📚 Modul {module.number}: {module.title}\n"
        "Materi lengkap dan kuisnya sedang disiapkan tim AKAR, Kak. Nanti saya kabari di sini.\n"
        "Sementara itu, tanyakan saja langsung hal yang ingin Kakak ketahui dari topik ini."
    )


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
        if module is None:
            dispatcher.utter_message(response="utter_lihat_modul")
            return []
        dispatcher.utter_message(
            text=module_text(module),
            buttons=[topic_button(f"tanya_{module.key}"), button("Tanya lagi", TANYA_LAGI)],
        )
        return []
