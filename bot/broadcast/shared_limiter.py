"""One broadcast pace for every sender process: the PacedLimiter schedule kept in Redis.

With REDIS_URL set, every sender (the bot's, `akar broadcast send`, each `akar broadcast serve`
replica) reserves its slots on one schedule in Redis, so adding senders never raises the rate
Telegram sees. One small Lua script reserves a slot atomically, on the Redis server's clock
(`TIME`), so the processes' own clocks do not matter:

- a 429 deadline (`<prefix>:pause`): while it lies ahead nobody gets a slot; every sender that
  sees a 429 pushes it out to its `retry_after`, and a task that reserved a slot before the
  429 checks it again before sending;
- the chat's next allowed time (`<prefix>:chat:<id>`, expiring by itself): one message per
  chat per second across all senders;
- the schedule (`<prefix>:next`): slot = next when now is before it or less than one interval
  past it (a late caller is forgiven, as in PacedLimiter), else now (idle: the schedule
  restarts, no burst); next = slot + interval.

The caller then sleeps until its slot. Keys carry the bot's id (the numeric part of the token):
Telegram's limits are per bot. Every sender of one bot must use the same BROADCAST_RATE.

Redis down: the sender goes on with an in-process PacedLimiter at the configured rate (and
per-chat spacing and 429 pauses of its own), logs a warning, and tries Redis again every
REDIS_RETRY seconds. Each process stays at the rate; several together may exceed Telegram's
limit until Redis is back, and Telegram then answers 429s, which pause and retry, losing
nothing. Stopping all broadcasts because a cache is down was judged worse.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.broadcast.limiter import PacedLimiter

log = logging.getLogger(__name__)

REDIS_RETRY: Final = 5.0  # seconds on the local limiter before trying Redis again
REDIS_TIMEOUT: Final = 1.0  # connect and socket timeout of each Redis call

# KEYS: schedule, pause deadline, chat (optional). ARGV: interval, chat interval (microseconds).
# Returns {1, µs until the reserved slot} or {0, µs to wait before asking again}.
_RESERVE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return {0, paused - now} end
if KEYS[3] then
  local chat_next = tonumber(redis.call('GET', KEYS[3]) or '0')
  if chat_next > now then return {0, chat_next - now} end
end
local interval = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = now
if now - nxt < interval then slot = nxt end
local ahead = slot + interval - now
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval),
           'PX', math.floor(ahead / 1000) + 1000)
if KEYS[3] then
  local chat_next = slot + tonumber(ARGV[2])
  redis.call('SET', KEYS[3], string.format('%.0f', chat_next),
             'PX', math.floor((chat_next - now) / 1000) + 1)
end
return {1, slot - now}
"""

# KEYS: pause deadline. ARGV: seconds. Pushes the deadline out, never in; returns µs left.
_PAUSE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local deadline = now + math.floor(tonumber(ARGV[1]) * 1000000)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if deadline > current then
  redis.call('SET', KEYS[1], string.format('%.0f', deadline),
             'PX', math.floor((deadline - now) / 1000) + 1)
  return deadline - now
end
return current - now
"""

# KEYS: pause deadline. Returns µs left of the pause (0: none).
_PAUSED: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > now then return current - now end
return 0
"""


def bot_key_prefix(token: str) -> str:
    """Redis key prefix for one bot's broadcast pace (Telegram's limits are per bot)."""
    return f"akar:broadcast:{token.split(':', 1)[0]}"


class RedisPacedLimiter:
    """PacedLimiter's `acquire()` on a schedule shared through Redis, plus the global per-chat
    spacing (`turn`) and the shared 429 pause (`pause`)."""

    def __init__(
        self,
        client: Redis,
        per_second: float,
        *,
        prefix: str = "akar:broadcast",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self._client = client
        self._interval_us = max(1, round(1_000_000 / per_second))
        self._keys = (f"{prefix}:next", f"{prefix}:pause")
        self._chat_prefix = f"{prefix}:chat:"
        self._reserve = client.register_script(_RESERVE)
        self._pause = client.register_script(_PAUSE)
        self._paused = client.register_script(_PAUSED)
        self._clock = clock
        # Degraded mode: the in-process pace, per-chat spacing and pause.
        self._local = PacedLimiter(per_second, clock=clock)
        self._last_by_chat: dict[int, float] = {}
        self._local_pause_until = 0.0
        self._down_until = 0.0

    @classmethod
    def from_url(
        cls, url: str, per_second: float, *, prefix: str = "akar:broadcast"
    ) -> RedisPacedLimiter:
        client = Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        return cls(client, per_second, prefix=prefix)

    @property
    def degraded(self) -> bool:
        """True while Redis is unreachable and the local limiter is in use."""
        return self._down_until > self._clock()

    def _redis_failed(self, exc: Exception) -> None:
        if not self.degraded:
            log.warning(
                "broadcast: Redis unreachable (%s); pacing this process alone at %g/s, "
                "retrying Redis in %gs",
                exc,
                self.per_second,
                REDIS_RETRY,
            )
        self._down_until = self._clock() + REDIS_RETRY

    def _redis_ok(self) -> None:
        if self._down_until:
            log.warning("broadcast: Redis reachable again; back on the shared pace")
            self._down_until = 0.0

    async def acquire(self) -> None:
        """Waits for the next slot of the shared schedule (PacedLimiter's contract)."""
        await self.turn(None)

    async def turn(self, chat_id: int | None, per_chat_interval: float = 1.0) -> None:
        """Waits until this process may send: no shared 429 pause, the chat's last message at
        least `per_chat_interval` ago (all senders), and a slot of the shared schedule."""
        while True:
            if self.degraded:
                await self._local_turn(chat_id, per_chat_interval)
                return
            keys = [*self._keys]
            if chat_id is not None:
                keys.append(f"{self._chat_prefix}{chat_id}")
            try:
                reserved, wait_us = await self._reserve(
                    keys=keys, args=[self._interval_us, round(per_chat_interval * 1_000_000)]
                )
            except RedisError as exc:
                self._redis_failed(exc)
                continue
            self._redis_ok()
            if wait_us > 0:
                await asyncio.sleep(wait_us / 1_000_000)
            if not reserved:
                continue
            # A 429 seen by any sender while we slept: give the slot up and wait it out.
            try:
                paused_us = await self._paused(keys=[self._keys[1]])
            except RedisError as exc:
                self._redis_failed(exc)
                return  # the slot was reserved: use it
            if not paused_us:
                return

    async def pause(self, seconds: float) -> None:
        """A 429's retry_after: every sender waits until then (at least this one does)."""
        self._local_pause_until = max(self._local_pause_until, self._clock() + seconds)
        if self.degraded:
            return
        try:
            await self._pause(keys=[self._keys[1]], args=[seconds])
        except RedisError as exc:
            self._redis_failed(exc)

    async def _local_turn(self, chat_id: int | None, per_chat_interval: float) -> None:
        while (wait := self._local_pause_until - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        if chat_id is not None:
            last = self._last_by_chat.get(chat_id)
            if last is not None and (gap := per_chat_interval - (self._clock() - last)) > 0:
                await asyncio.sleep(gap)
        await self._local.acquire()
        if chat_id is not None:
            self._last_by_chat[chat_id] = self._clock()

    async def aclose(self) -> None:
        await self._client.aclose()


def make_limiter(
    per_second: float, redis_url: str | None, token: str | None = None
) -> PacedLimiter | RedisPacedLimiter:
    """The shared limiter when REDIS_URL is set, else the in-process one."""
    if not redis_url:
        return PacedLimiter(per_second)
    prefix = bot_key_prefix(token) if token else "akar:broadcast"
    return RedisPacedLimiter.from_url(redis_url, per_second, prefix=prefix)


__all__ = ["REDIS_RETRY", "RedisPacedLimiter", "bot_key_prefix", "make_limiter"]
