"""An offline Telegram Bot API emulator for tests and for trying the bot without Telegram.

In-process: `TelegramEmulator` (start it, give PTB its `base_url`, inject, wait).
Standalone: `python -m tests.emulator --port 8081`, driven with `EmulatorClient`.
"""

from tests.emulator.client import AsyncEmulatorClient, EmulatorClient
from tests.emulator.emulator import TelegramEmulator
from tests.emulator.errors import ApiError
from tests.emulator.records import ApiCall, SentMessage, UploadedFile

__all__ = [
    "ApiCall",
    "ApiError",
    "AsyncEmulatorClient",
    "EmulatorClient",
    "SentMessage",
    "TelegramEmulator",
    "UploadedFile",
]
