"""Paces broadcast messages evenly: at most `per_second`, never in bursts.

Telegram counts messages per second. A token bucket (aiolimiter) or a plain sliding window lets
a full second's worth go out at once, and with network jitter two such bursts land inside one
of Telegram's seconds (a 429). Spacing every message 1/rate apart keeps any one-second window
at the rate, with nothing for jitter to pile up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class PacedLimiter:
    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self._interval = 1.0 / per_second
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._clock()
            self._next = max(now, self._next) + self._interval
