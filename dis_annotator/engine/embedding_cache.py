"""A least-recently-used cache bounded by the bytes of its values (image embeddings).

Keys identify pixels, not files (``ImageData.key`` plus the encoded region), so a
renamed file hits and two different images never collide. Values report their own size
(``nbytes``); the total never exceeds ``capacity_bytes`` — the oldest entries go first,
and a value larger than the whole capacity is returned to the caller but not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar


class Sized(Protocol):
    @property
    def nbytes(self) -> int: ...


V = TypeVar("V", bound=Sized)

MIB = 1 << 20


class EmbeddingCache(Generic[V]):
    """``get``/``put`` in O(1); thread-safe so a prefetch may run beside a lookup."""

    def __init__(self, capacity_mb: float) -> None:
        self.capacity_bytes = int(capacity_mb * MIB)
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: Hashable, value: V) -> None:
        size = int(value.nbytes)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.nbytes)
            if size > self.capacity_bytes:
                return
            self._items[key] = value
            self._bytes += size
            while self._bytes > self.capacity_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= int(evicted.nbytes)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.nbytes)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def keys(self) -> list[Hashable]:
        """Oldest first."""
        with self._lock:
            return list(self._items)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
