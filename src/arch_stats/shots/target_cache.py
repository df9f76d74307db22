"""The scoring data of the targets an archer is shooting at, kept between posts.

Every post of shots needs its targets' faces, view and session to score them; reading them
is a round trip per post. This per-process cache keeps what was read with the target row's
version (`xmin`: it changes with every write of the row, and every change of a target's
faces writes it). The cache is never trusted on its own: the INSERT that stores the shots
writes nothing unless every target is still at that version (shots/repository.py), and the
post is then read and scored afresh (shots/service.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from arch_stats.shots.repository import TargetInfo


class TargetCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[UUID, tuple[UUID, TargetInfo]] = {}  # target → (archer, info)

    def get_all(self, target_ids: Sequence[UUID], archer_id: UUID) -> dict[UUID, TargetInfo] | None:
        """All of them, or None when one is missing (or another archer's)."""
        found = {}
        for target_id in target_ids:
            entry = self._entries.get(target_id)
            if entry is None or entry[0] != archer_id:
                return None
            found[target_id] = entry[1]
        return found

    def put_all(self, targets: Iterable[TargetInfo], archer_id: UUID) -> None:
        for target in targets:
            if not target.session_open:  # shots are refused there: nothing to save
                continue
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[target.id] = (archer_id, target)

    def forget(self, target_ids: Iterable[UUID]) -> None:
        for target_id in target_ids:
            self._entries.pop(target_id, None)

    def __len__(self) -> int:
        return len(self._entries)
