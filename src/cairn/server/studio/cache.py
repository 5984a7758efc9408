"""What the studio keeps between requests: stored plans and their graph layouts, which never
change once a job is submitted, and the views of pipelines that have ended, so a page of a big
pipeline neither parses its plan, lays it out nor reads its steps again. Bounded (least recently
used first out); nothing here is ever stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

T = TypeVar("T")


@dataclass
class Kept(Generic[T]):
    """A small thread-safe LRU map."""

    size: int
    _items: OrderedDict[Hashable, T] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def peek(self, key: Hashable) -> T | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        self.put(key, value)
        return value


@dataclass
class StudioCache:
    plans: Kept[dict[str, Any]] = field(default_factory=lambda: Kept(16))
    shapes: Kept[Any] = field(default_factory=lambda: Kept(32))
    ended: Kept[Any] = field(default_factory=lambda: Kept(32))
    """Views of pipelines whose every step has ended: they change no more (tags aside, and a
    view is only reused while the job's own record is unchanged)."""
