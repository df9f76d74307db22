"""Fixtures of the shots tests."""

from __future__ import annotations

import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.shots.test_shots import Range, make_range


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    """An open session (6 arrows per end) with a wa_122 target and two arrows."""
    return await make_range(db, archer)
