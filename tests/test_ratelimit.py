"""The per-user rate limit: a burst up to the limit, then refusals until the 60 s window slides."""

from __future__ import annotations

import pytest

from bot.telegram.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_burst_of_twenty_then_refused(clock: FakeClock) -> None:
    limiter = RateLimiter(20, clock=clock)
    assert all(limiter.allow(1) for _ in range(20))
    assert not limiter.allow(1)
    assert not limiter.allow(1)
    assert limiter.allow(2), "another user has their own budget"


def test_window_slides(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock=clock)
    for step in range(3):
        assert limiter.allow(7)
        clock.now += 10 + step  # questions at t=0, 10, 21
    assert not limiter.allow(7)
    clock.now = 1000.0 + 59.9
    assert not limiter.allow(7), "the first question is still inside the window"
    clock.now = 1000.0 + 60.0
    assert limiter.allow(7), "the first question left the window"
    assert not limiter.allow(7)
    clock.now = 1000.0 + 70.0
    assert limiter.allow(7), "the question at t=10 left the window"


def test_refused_attempts_do_not_extend_the_wait(clock: FakeClock) -> None:
    limiter = RateLimiter(1, clock=clock)
    assert limiter.allow(1)
    for _ in range(30):
        clock.now += 1
        assert not limiter.allow(1)
    clock.now = 1000.0 + 60
    assert limiter.allow(1)


def test_retry_after(clock: FakeClock) -> None:
    limiter = RateLimiter(2, clock=clock)
    assert limiter.retry_after(5) == 0.0
    limiter.allow(5)
    clock.now += 15
    limiter.allow(5)
    assert limiter.retry_after(5) == pytest.approx(45.0)
    clock.now += 40
    assert limiter.retry_after(5) == pytest.approx(5.0)
    clock.now += 5
    assert limiter.retry_after(5) == 0.0
    assert limiter.allow(5)
    assert limiter.retry_after(5) == pytest.approx(15.0), "now the question at t=15 is the oldest"


def test_idle_users_are_forgotten(clock: FakeClock) -> None:
    limiter = RateLimiter(5, clock=clock)
    for user in range(10_000):
        limiter.allow(user)
    assert len(limiter) == 10_000
    clock.now += 61
    limiter.allow(-1)
    assert len(limiter) == 1, "memory is bounded by the users active in the last minute"
    for user in range(10_000):
        assert limiter.retry_after(user) == 0.0


def test_retry_after_on_an_idle_user_does_not_break_expiry(clock: FakeClock) -> None:
    limiter = RateLimiter(1, clock=clock)
    limiter.allow(1)
    clock.now += 1
    limiter.allow(2)
    clock.now += 60.5  # both users are idle now; retry_after empties user 2's window
    assert limiter.retry_after(2) == 0.0
    assert limiter.allow(1)
    assert len(limiter) == 1


def test_invalid_limit() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
