"""Waiting for a condition in async tests: poll it with a deadline, never a bare sleep."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

import pytest

POLL_SECONDS = 0.05


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], what: str, timeout: float = 30.0
) -> None:
    """Return once `condition()` (plain or awaitable) is true; fail naming `what` otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s")
        await asyncio.sleep(POLL_SECONDS)
