"""PacedLimiter with a simulated clock: even spacing, no drift from late wake-ups, no burst
after idle time."""

from __future__ import annotations

from bot.broadcast.limiter import PacedLimiter


class LateClock:
    """A clock whose sleeps always wake `lateness` seconds late, as a busy event loop does."""

    def __init__(self, lateness: float) -> None:
        self.now = 1000.0
        self.lateness = lateness

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.lateness


async def acquire_times(limiter: PacedLimiter, clock: LateClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await limiter.acquire()
        times.append(clock.now)
    return times


async def test_late_wake_ups_do_not_lower_the_rate() -> None:
    clock = LateClock(lateness=0.002)  # 5% of a 40 ms slot
    limiter = PacedLimiter(25, clock=clock, sleep=clock.sleep)
    times = await acquire_times(limiter, clock, 1001)
    achieved = 1000 / (times[-1] - times[0])
    assert 24.9 <= achieved <= 25.0


async def test_no_second_ever_holds_more_than_the_rate() -> None:
    clock = LateClock(lateness=0.005)
    limiter = PacedLimiter(25, clock=clock, sleep=clock.sleep)
    times = await acquire_times(limiter, clock, 300)
    clock.now += 10.0  # idle: the schedule restarts, no catch-up burst
    times += await acquire_times(limiter, clock, 300)
    # (a window a microsecond short of a second: float sums of 0.04 drift by ~1e-15)
    busiest = max(sum(1 for t in times if start <= t < start + 0.999999) for start in times)
    assert busiest <= 25
