"""Fault injection for reliability tests: the failures a bot really meets talking to Telegram."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Collection
from dataclasses import dataclass, field

#: "429" flood control (with retry_after), "500"/"502" server errors, "drop": the connection is
#: closed before the request is applied, "drop_after": the request IS applied and then the
#: connection is closed before the answer - the ambiguous failure exactly-once logic must survive.
FAULT_KINDS = frozenset({"429", "500", "502", "drop", "drop_after"})

#: What api.telegram.org's nginx front answers when the Bot API server behind it is unreachable:
#: an HTML page, not JSON (PTB logs "Can not load invalid JSON data" and raises NetworkError).
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class FaultPlan:
    """Which requests fail, and how; decisions are reproducible for a given ``seed``.

    ``rate`` is the chance that a matching request fails; ``methods`` restricts faults to those
    Bot API methods (None = every method); ``limit`` caps how many faults are injected in total
    (``rate=1.0, limit=1`` = "the first matching call only"); ``skip`` lets that many matching
    calls through before faults start. With ``enforce_retry_after`` a "429" keeps rejecting the
    same method for ``retry_after`` seconds, as Telegram's flood control does.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "drop")
    seed: int | None = None
    methods: Collection[str] | None = None
    retry_after: int = 1
    limit: int | None = None
    skip: int = 0
    enforce_retry_after: bool = False
    #: every injected fault, in order: (method, kind)
    injected: list[tuple[str, str]] = field(default_factory=list)
    _rng: random.Random = field(init=False, repr=False)
    _seen: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - FAULT_KINDS
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {sorted(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        self._rng = random.Random(self.seed)

    def matches(self, method: str) -> bool:
        """Whether ``method`` is subject to this plan (method names compare case-insensitively)."""
        if self.methods is None:
            return True
        return method.lower() in {m.lower() for m in self.methods}

    def decide(self, method: str) -> str | None:
        """The fault to inject for this call of ``method``, or None to serve it normally."""
        if not self.matches(method):
            return None
        self._seen += 1
        if self._seen <= self.skip:
            return None
        if self.limit is not None and len(self.injected) >= self.limit:
            return None
        if self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        self.injected.append((method, kind))
        return kind


def retry_after_remaining(until: float) -> int:
    """Whole seconds left of a flood wait, as Telegram rounds them (up)."""
    return max(1, math.ceil(until - time.monotonic()))
