"""Public viewers' limits (`core.viewers`), shared by the club board's and the range timers'
public links: per link, and per client address across every link."""

from __future__ import annotations

from uuid import uuid4

from arch_stats.core.viewers import PublicViewers


def test_limits_per_link_and_per_address_across_links() -> None:
    limits = PublicViewers(per_link=2, per_address=3)
    board, timer = uuid4(), uuid4()
    assert limits.admit(board, "10.0.0.1") is None
    assert limits.admit(board, "10.0.0.2") is None
    assert limits.admit(board, "10.0.0.3") == "link"
    assert limits.admit(timer, "10.0.0.1") is None
    assert limits.admit(timer, "10.0.0.1") is None
    # the address has a board viewer and two timer viewers: its third link is refused too
    assert limits.admit(uuid4(), "10.0.0.1") == "address"
    limits.release(board, "10.0.0.1")
    assert limits.admit(board, "10.0.0.3") is None  # room on the link again
    assert limits.admit(uuid4(), "10.0.0.1") is None  # and for the address
    assert limits.admit(uuid4(), None) is None  # an unknown address is counted per link only
