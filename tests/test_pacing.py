"""The per-host clock behind Crawl-delay and Retry-After (middlewares/pacing.py), from plain numbers."""

from __future__ import annotations

from inquirer_crawler.middlewares.pacing import HostClock

HOST = "site.test"


def test_requests_booked_together_go_a_crawl_delay_apart() -> None:
    clock = HostClock()
    clock.interval[HOST] = 2.0
    waits = [clock.reserve(HOST, 10.0) for _ in range(3)]
    assert waits == [0.0, 2.0, 4.0]
    assert clock.going(HOST, 10.0) == 0.0


def test_a_request_that_went_late_pushes_the_next_one_back() -> None:
    # The reactor was busy: the first request woke and went 0.3 s after its moment. The second,
    # booked for 12.0, must still leave a whole Crawl-delay after the first's real departure.
    clock = HostClock()
    clock.interval[HOST] = 2.0
    assert clock.reserve(HOST, 10.0) == 0.0
    assert clock.reserve(HOST, 10.0) == 2.0
    assert clock.going(HOST, 10.3) == 0.0  # the first goes, late
    assert abs(clock.going(HOST, 12.0) - 0.3) < 1e-9  # the second woke on time: 0.3 s more
    assert clock.going(HOST, 12.3) == 0.0
    # and a request booked now queues behind what really went
    assert abs(clock.reserve(HOST, 12.5) - 1.8) < 1e-9


def test_without_a_crawl_delay_nothing_waits_but_a_hold() -> None:
    clock = HostClock()
    assert [clock.reserve(HOST, 5.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.going(HOST, 5.0) == 0.0
    clock.hold(HOST, 65.0)  # Retry-After: 60
    assert clock.reserve(HOST, 5.0) == 60.0
    assert clock.reserve("other.test", 5.0) == 0.0  # per host
