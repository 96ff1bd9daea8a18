"""The hall's pure rules, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hall import domain
from hall.domain import Rank, TicketFacts

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
EARLY = timedelta(minutes=15)


def rank(**kw: object) -> Rank:
    values: dict[str, object] = {"appointment": False, "slot_start": None, "slot_end": None, "priority_group": None}
    values.update(kw)
    return domain.call_rank(now=NOW, early=EARLY, **values)  # type: ignore[arg-type]


def test_ticket_numbers_are_the_letter_and_three_digits() -> None:
    assert domain.ticket_number("A", 23) == "A023"
    assert domain.ticket_number("B", 1000) == "B1000"


def test_appointments_within_their_slot_go_first_then_priority_groups_then_arrival() -> None:
    slot = {"slot_start": NOW - timedelta(minutes=5), "slot_end": NOW + timedelta(minutes=25)}
    assert rank(appointment=True, **slot) is Rank.APPOINTMENT_IN_SLOT
    assert rank(priority_group="elderly") is Rank.PRIORITY_GROUP
    assert rank() is Rank.ARRIVAL
    assert Rank.APPOINTMENT_IN_SLOT < Rank.PRIORITY_GROUP < Rank.ARRIVAL


def test_an_appointment_counts_from_shortly_before_its_slot_until_it_ends() -> None:
    soon = {"slot_start": NOW + timedelta(minutes=10), "slot_end": NOW + timedelta(minutes=40)}
    later = {"slot_start": NOW + timedelta(minutes=16), "slot_end": NOW + timedelta(minutes=46)}
    over = {"slot_start": NOW - timedelta(minutes=30), "slot_end": NOW}
    assert rank(appointment=True, **soon) is Rank.APPOINTMENT_IN_SLOT
    assert rank(appointment=True, **later) is Rank.ARRIVAL  # too early: waits like a walk-in
    assert rank(appointment=True, **over) is Rank.ARRIVAL  # late: the slot is over
    assert rank(appointment=True, priority_group="elderly", **over) is Rank.PRIORITY_GROUP


def test_the_wait_estimate_shares_the_people_ahead_among_the_open_windows() -> None:
    assert domain.estimated_wait(0, 2, timedelta(minutes=6)) == timedelta(0)
    assert domain.estimated_wait(5, 2, timedelta(minutes=6)) == timedelta(minutes=18)
    assert domain.estimated_wait(3, 0, None) == timedelta(minutes=15)  # nobody signed in: one window counted


def test_which_action_a_ticket_admits() -> None:
    assert domain.admits("recall", "called") and not domain.admits("recall", "waiting")
    assert domain.admits("finish", "serving") and not domain.admits("finish", "finished")
    assert domain.admits("transfer", "waiting") and not domain.admits("transfer", "expired")


def facts(queue: str, **kw: object) -> TicketFacts:
    values: dict[str, object] = {
        "queue": queue,
        "window": None,
        "source": "desk",
        "status": "waiting",
        "expired_reason": None,
        "issued_at": NOW,
        "queued_at": NOW,
        "first_called_at": None,
        "served_at": None,
        "finished_at": None,
        "slot_start": None,
        "slot_end": None,
    }
    values.update(kw)
    return TicketFacts(**values)  # type: ignore[arg-type]


def test_figures_by_queue_and_window_no_shows_and_punctuality() -> None:
    minute = timedelta(minutes=1)
    tickets = [
        facts(
            "A",
            window="1",
            status="finished",
            first_called_at=NOW + 4 * minute,
            served_at=NOW + 5 * minute,
            finished_at=NOW + 11 * minute,
            source="appointment",
            slot_start=NOW + minute,
        ),
        facts("A", window="1", status="expired", expired_reason="skipped", first_called_at=NOW + 10 * minute),
        facts("B", status="expired", expired_reason="closed"),
        facts("A", source="appointment", slot_start=NOW - minute, issued_at=NOW),
    ]
    got = domain.figures(tickets, hour_of=lambda at: at.hour)
    a = got["queues"]["A"]  # type: ignore[index]
    assert a["issued"] == 3 and a["finished"] == 1 and a["no_shows"] == 1
    assert a["average_wait_seconds"] == 420.0  # (4 + 10) / 2 minutes
    assert a["average_service_seconds"] == 360.0
    assert got["total"]["no_show_rate"] == 0.25  # type: ignore[index]  # a closed day is not a no-show
    assert got["windows"]["1"]["issued"] == 2  # type: ignore[index]
    assert got["appointments"] == 2 and got["appointment_punctuality"] == 0.5
    assert got["hours"] == {"02": got["total"]}
