"""Per-user question rate limit: a sliding 60-second window, so one user cannot flood the bot.

Each user keeps the times of their allowed questions in the last minute (at most `per_minute`), and
users are kept in order of their last allowed question so idle ones are dropped from the front:
memory is bounded by the users active in the last minute, and every call is O(1) amortised.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimiter:
    """`allow` records a question if the user is under the limit; refused attempts are not counted."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        # user -> times of allowed questions, oldest first; ordered by the user's latest allowed question.
        self._users: OrderedDict[int, deque[float]] = OrderedDict()

    def _expire(self, now: float) -> None:
        """Drop users whose latest question left the window: they are at the front of the order."""
        horizon = now - WINDOW_S
        while self._users:
            user, times = next(iter(self._users.items()))
            if times and times[-1] > horizon:
                break
            del self._users[user]

    def _recent(self, user_id: int, now: float) -> deque[float] | None:
        times = self._users.get(user_id)
        if times is None:
            return None
        horizon = now - WINDOW_S
        while times and times[0] <= horizon:
            times.popleft()
        return times

    def allow(self, user_id: int) -> bool:
        """True (and counted) if the user asked fewer than per_minute questions in the last 60 s."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            times = self._recent(user_id, now)
            if times is None:
                times = self._users[user_id] = deque(maxlen=self.per_minute)
            elif len(times) >= self.per_minute:
                return False
            times.append(now)
            self._users.move_to_end(user_id)
            return True

    def retry_after(self, user_id: int) -> float:
        """Seconds until `allow` would succeed for this user (0.0 if it would now)."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            times = self._recent(user_id, now)
            if times is None or len(times) < self.per_minute:
                return 0.0
            return max(0.0, times[0] + WINDOW_S - now)

    def __len__(self) -> int:
        """Users currently tracked (for tests and metrics)."""
        with self._lock:
            self._expire(self._clock())
            return len(self._users)
