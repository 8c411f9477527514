"""The one exception type Bot API method handlers raise.

Handlers raise `ApiError` and the server turns it into the exact JSON shape Telegram uses, so
python-telegram-bot maps it to the same exception class (`BadRequest`, `Forbidden`,
`RetryAfter`, ...) it would raise against the real Bot API.
"""

from __future__ import annotations

from typing import Any

#: Descriptions Telegram sends for each status when nothing more specific applies.
DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error response: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @classmethod
    def bad_request(cls, detail: str) -> ApiError:
        return cls(400, f"Bad Request: {detail}")

    @classmethod
    def for_status(
        cls, status: int, description: str | None = None, retry_after: int | None = None
    ) -> ApiError:
        """An error with Telegram's usual wording for `status` unless `description` is given."""
        if status == 429:
            seconds = retry_after if retry_after is not None else 1
            text = description or f"Too Many Requests: retry after {seconds}"
            return cls(429, text, retry_after=seconds)
        text = description or DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        return cls(status, text)

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body
