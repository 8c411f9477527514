"""Reads the route of an ongkir question ("ongkir ke medan dari bandung brp ya").

The assistant cannot quote a live tariff, but repeating the route shows the seller they were
understood before the answer follows (actions/topic_answer.py). Without a city it says nothing.
"""

# rasa_sdk ships no type information, so its base classes are `Any` to mypy.
# mypy: disallow-subclassing-any=False

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KOTA = "kota"


@dataclass(frozen=True)
class Route:
    origin: str | None = None
    destination: str | None = None
    unassigned: tuple[str, ...] = ()  # cities found without an origin/destination role

    @property
    def empty(self) -> bool:
        return not (self.origin or self.destination or self.unassigned)


def _display(value: Any) -> str | None:
    """Synonyms give canonical names ("Makassar"); raw text ("medan") is title-cased."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    return text if any(c.isupper() for c in text) else text.title()


def route_from(entities: Iterable[dict[str, Any]] | None) -> Route:
    origin: str | None = None
    destination: str | None = None
    others: list[str] = []
    for entity in entities or ():
        if entity.get("entity") != KOTA:
            continue
        city = _display(entity.get("value"))
        if city is None:
            continue
        role = entity.get("role")
        if role == "asal" and origin is None:
            origin = city
        elif role == "tujuan" and destination is None:
            destination = city
        elif city not in others and city not in (origin, destination):
            others.append(city)
    return Route(origin=origin, destination=destination, unassigned=tuple(others))


def route_text(route: Route) -> str | None:
    if route.empty:
        return None
    if route.origin and route.destination:
        where = f"dari {route.origin} ke {route.destination}"
    elif route.destination:
        where = f"ke {route.destination}"
    elif route.origin:
        where = f"dari {route.origin}"
    else:
        where = "untuk " + " dan ".join(route.unassigned)
    return f"Pengiriman {where} ya, Kak 📦 Ini cara menghitung dan mengecek ongkirnya:"
