"""`/start` welcome: greets the seller by first name and says what the assistant is for.

The bot sends Telegram's /start as the payload `/mulai` with metadata
`{"first_name": ..., "telegram_user_id": ...}`. A static response cannot read metadata, hence
this action. The text stays short: it is the first thing a new seller sees on a phone.
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from typing import Any, Final

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.labels import LIHAT_MODUL, Button, button, topic_button

MAX_NAME_CHARS: Final = 30
# Names that would read oddly after "Kak" (the terminal chat calls its user "Kak").
_NOT_A_NAME: Final = frozenset({"kak", "kakak", "ka", "kk"})


def first_name_from(latest_message: dict[str, Any] | None) -> str | None:
    """The seller's first name from the message metadata, or None if missing or unusable."""
    metadata = (latest_message or {}).get("metadata")
    if not isinstance(metadata, dict):
        return None
    name = metadata.get("first_name")
    if not isinstance(name, str):
        return None
    name = " ".join(name.split())[:MAX_NAME_CHARS].strip()
    if not name or name.lower() in _NOT_A_NAME:
        return None
    return name


def welcome_text(first_name: str | None) -> str:
    greeting = f"Halo, Kak {first_name}! 👋" if first_name else "Halo, Kak! 👋"
    return (
        f"{greeting} Saya asisten jualan online dari program AKAR.\n\n"
        "Saya bisa bantu soal COD, ongkir, toko sepi (algoritma marketplace), foto produk, "
        "harga, promosi, dan lainnya. Ada juga modul pelatihan AKAR untuk dipelajari.\n\n"
        "Silakan ketik pertanyaan Kakak, atau pilih di bawah."
    )


def welcome_buttons() -> list[Button]:
    return [
        topic_button("tanya_cod"),
        topic_button("tanya_ongkir"),
        topic_button("tanya_algoritma"),
        button("Lihat modul", LIHAT_MODUL),
    ]


class ActionSelamatDatang(Action):
    """Answers `mulai` (Telegram's /start) with a personal welcome and topic buttons."""

    def name(self) -> str:
        return "action_selamat_datang"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        name = first_name_from(tracker.latest_message)
        dispatcher.utter_message(text=welcome_text(name), buttons=welcome_buttons())
        return []
