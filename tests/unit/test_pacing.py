"""The shared pacing policy (``importtasks.pacing``) against delay sequences computed by hand."""

from __future__ import annotations

import pytest

from ec2_import_image.importtasks.pacing import POLLING, Pacer, Pacing, PatienceExhausted
from tests.support.clock import FakeClock


def _pacer(pacing: Pacing = POLLING) -> tuple[Pacer, FakeClock]:
    clock = FakeClock()
    return Pacer(pacing, clock.clock), clock


def test_the_polls_parameters() -> None:
    assert Pacing(first=2.0, growth=1.5, failed_growth=2.0, cap=30.0, patience=300.0) == POLLING


def test_delays_grow_by_half_up_to_the_cap() -> None:
    pacer, _ = _pacer()
    delays = [pacer.next_delay() for _ in range(10)]
    # 2, 2*1.5, 3*1.5, 4.5*1.5, 6.75*1.5, 10.125*1.5, 15.1875*1.5, then 34.17... capped at 30
    assert delays == [2.0, 3.0, 4.5, 6.75, 10.125, 15.1875, 22.78125, 30.0, 30.0, 30.0]


def test_delays_double_while_failures_go_on() -> None:
    pacer, _ = _pacer()
    pacer.failed()
    assert [pacer.next_delay() for _ in range(6)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_a_success_goes_back_to_growing_by_half() -> None:
    pacer, _ = _pacer()
    assert pacer.next_delay() == 2.0  # the next one: 3
    pacer.failed()
    assert pacer.next_delay() == 3.0  # the next one: 6 (doubled)
    assert pacer.succeeded() == 0.0
    assert [pacer.next_delay() for _ in range(3)] == [6.0, 9.0, 13.5]


def test_reset_starts_again_from_the_first_delay() -> None:
    pacer, _ = _pacer()
    for _ in range(4):
        pacer.next_delay()
    pacer.reset()
    assert pacer.next_delay() == 2.0


def test_other_numbers_follow_the_same_rule() -> None:
    # the EBS direct writer's retries: every delay follows a failure
    pacer, _ = _pacer(Pacing(first=1.0, cap=20.0))
    pacer.failed()
    assert [pacer.next_delay() for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    # a cap below the first delay wins
    small, _ = _pacer(Pacing(cap=0.5))
    assert [small.next_delay(), small.next_delay()] == [0.5, 0.5]


def test_failures_are_borne_for_300_seconds_on_the_injected_clock() -> None:
    pacer, clock = _pacer()
    assert not pacer.failing and pacer.gives_up_at is None
    assert pacer.failed() == 0.0
    assert pacer.failing and pacer.gives_up_at == 1300.0
    clock.sleep(120)
    assert pacer.failed() == 120.0
    clock.sleep(179.5)
    assert pacer.failed() == 299.5
    clock.sleep(0.5)
    with pytest.raises(PatienceExhausted) as caught:
        pacer.failed()
    assert (caught.value.lasted, caught.value.patience) == (300.0, 300.0)
    assert str(caught.value) == "attempts have failed for 300 s (patience 300 s)"


def test_a_success_ends_the_streak() -> None:
    pacer, clock = _pacer(Pacing(patience=60.0))
    assert pacer.succeeded() is None
    pacer.failed()
    clock.sleep(45)
    assert pacer.succeeded() == 45.0 and not pacer.failing
    clock.sleep(100)
    assert pacer.failed() == 0.0  # a new streak, a new budget
    clock.sleep(59)
    assert pacer.failed() == 59.0


def test_a_streak_counts_from_when_its_first_attempt_began() -> None:
    pacer, clock = _pacer(Pacing(patience=10.0))
    began = clock.clock()
    clock.sleep(4)  # the attempt took 4 s to fail
    assert pacer.failed(began) == 4.0
    clock.sleep(1)
    assert pacer.failed(clock.clock()) == 5.0  # later attempts do not move the start
    clock.sleep(5)
    with pytest.raises(PatienceExhausted):
        pacer.failed()


def test_no_patience_gives_up_at_the_first_failure() -> None:
    pacer, _ = _pacer(Pacing(patience=0.0))
    with pytest.raises(PatienceExhausted):
        pacer.failed()


def test_a_pause_ends_by_a_deadline() -> None:
    pacer, clock = _pacer()
    assert pacer.pause(clock.clock() + 100) == 2.0
    assert pacer.pause(clock.clock() + 1.25) == 1.25
    assert pacer.pause(clock.clock() - 5) == 0.0
    assert pacer.pause() == 6.75  # cut short or not, the delays grew: 2, 3, 4.5
    assert pacer.within(7.0, None) == 7.0 and pacer.delay == 10.125


def test_due_times_for_a_caller_that_does_not_sleep() -> None:
    pacer, clock = _pacer()
    assert pacer.is_due(clock.clock())  # at once at first
    assert pacer.later() == 2.0 and pacer.due == 1002.0
    assert not pacer.is_due(1001.0) and pacer.is_due(1002.0)
    assert pacer.later(now=1010.0) == 3.0 and pacer.due == 1013.0
    pacer.sooner(1020.0)
    assert pacer.due == 1013.0
    pacer.sooner(1005.0)
    assert pacer.due == 1005.0


def test_the_parameters_are_frozen() -> None:
    with pytest.raises(AttributeError):
        POLLING.cap = 10.0  # type: ignore[misc]
