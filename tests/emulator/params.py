"""Typed access to Bot API request parameters, whichever way they were sent.

The Bot API accepts query strings, urlencoded forms, multipart forms and JSON bodies. PTB sends
forms: every value a string, structured values JSON-encoded, except plain strings (so a `text`
of "123" must never be JSON-decoded). JSON bodies carry native values. This class hides the
difference and produces Telegram's wording when a parameter is missing or malformed.
"""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.errors import ApiError
from tests.emulator.records import UploadedFile


class Params:
    def __init__(self, raw: dict[str, Any], files: dict[str, UploadedFile] | None = None) -> None:
        self.raw = raw
        self.files = files or {}

    def __contains__(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f'invalid parameter "{name}" specified') from None

    def get_float(self, name: str, default: float | None = None) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f'invalid parameter "{name}" specified') from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def get_json(self, name: str, error: str | None = None) -> Any:
        """A structured parameter: decoded if it arrived as a JSON string."""
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError.bad_request(error or f"can't parse {name} JSON object") from None

    def require_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise ApiError.bad_request(f"{name} is empty" if name.endswith("_id") else name)
        return value

    def require_str(self, name: str) -> str:
        value = self.get_str(name)
        if value is None or value == "":
            raise ApiError.bad_request(f'parameter "{name}" is required')
        return value
