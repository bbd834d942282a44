"""Token buckets: a burst at once, then a steady rate; one per key, made on first use."""

from __future__ import annotations

from collections.abc import Hashable

from limits import parse_many


class TokenBucket:
    """`capacity` events at once, refilled at `rate` a second."""

    __slots__ = ("capacity", "rate", "tokens", "stamp")

    def __init__(self, capacity: float, rate: float, now: float):
        self.capacity, self.rate, self.tokens, self.stamp = capacity, rate, capacity, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self.tokens) / self.rate)


def bucket_shape(spec: str) -> tuple[float, float]:
    """A limits-style spec ("20/second;600/minute") as a bucket: the burst is the shortest
    window's amount, the refill the slowest sustained rate of them all."""
    items = sorted(parse_many(spec), key=lambda item: item.get_expiry())
    return float(items[0].amount), min(item.amount / item.get_expiry() for item in items)


class Buckets:
    """A token bucket per key, made on first use."""

    def __init__(self, capacity: float, rate: float):
        self.capacity, self.rate = capacity, rate
        self._buckets: dict[Hashable, TokenBucket] = {}

    def take(self, key: Hashable, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, self.rate, now)
            if len(self._buckets) > 10_000:
                self._sweep(now)
        return bucket.take(now)

    def wait(self, key: Hashable) -> float:
        bucket = self._buckets.get(key)
        return bucket.wait() if bucket else 0.0

    def give_back(self, key: Hashable) -> None:
        """A token taken for nothing (what it paid for did not happen) is there again."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(bucket.capacity, bucket.tokens + 1)

    def forget(self, key: Hashable) -> None:
        self._buckets.pop(key, None)

    def _sweep(self, now: float) -> None:
        # Buckets that have refilled are the same as new ones: forget them.
        full = [key for key, b in self._buckets.items() if b.tokens + (now - b.stamp) * b.rate >= b.capacity]
        for key in full:
            del self._buckets[key]
