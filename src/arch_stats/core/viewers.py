"""Viewers who come by a public read-only link (no account: the club board's, a range
timer's), counted per process by link and by client address, so that neither one link nor
one address can take every connection. One count for all public links of the process: an
address's viewers of a board and of a timer count together."""

from __future__ import annotations

from collections import Counter
from typing import Literal
from uuid import UUID

Full = Literal["link", "address"]


class PublicViewers:
    def __init__(self, *, per_link: int, per_address: int) -> None:
        self.per_link = per_link
        self.per_address = per_address
        self._by_link: Counter[UUID] = Counter()
        self._by_address: Counter[str] = Counter()

    def admit(self, link_id: UUID, address: str | None) -> Full | None:
        """Count a viewer of `link_id` from `address` (None: not known, not counted per
        address) in; or what is full."""
        if self._by_link[link_id] >= self.per_link:
            return "link"
        if address is not None and self._by_address[address] >= self.per_address:
            return "address"
        self._by_link[link_id] += 1
        if address is not None:
            self._by_address[address] += 1
        return None

    def release(self, link_id: UUID, address: str | None) -> None:
        """A viewer admitted with these went."""
        self._by_link[link_id] -= 1
        if self._by_link[link_id] <= 0:
            del self._by_link[link_id]
        if address is not None:
            self._by_address[address] -= 1
            if self._by_address[address] <= 0:
                del self._by_address[address]
