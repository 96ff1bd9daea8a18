"""The contract mechanics: strict to build, tolerant to read, versioned, typed dispatch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import pytest
from pydantic import AwareDatetime, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import MalformedEvent
from gov_common.events import CloudEvent
from gov_contracts import Contract, Event, EventHandlers, dataschema, version_of


class Part(Contract):
    name: str


class ThingHappened(Event):
    topic: ClassVar[str] = "gov.test.things"
    type: ClassVar[str] = "test.thing.happened"
    publisher: ClassVar[str] = "/svc-test"
    subject_field: ClassVar[str] = "thing_id"

    thing_id: str
    version: int
    at: AwareDatetime
    parts: tuple[Part, ...] = ()


class ThingHappenedV2(Event):
    topic: ClassVar[str] = "gov.test.things"
    type: ClassVar[str] = "test.thing.happened"
    schema_version: ClassVar[int] = 2
    publisher: ClassVar[str] = "/svc-test"
    subject_field: ClassVar[str] = "thing_id"

    thing_id: str
    count: int


AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def envelope(data: dict[str, object], *, schema: str | None = None, type_: str = ThingHappened.type) -> CloudEvent:
    return CloudEvent(type=type_, source="/svc-test", subject="t-1", data=data, dataschema=schema)


def test_building_refuses_unknown_fields_and_naive_times() -> None:
    with pytest.raises(ValidationError, match="extra"):
        ThingHappened(thing_id="t-1", version=1, at=AT, colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="timezone"):
        ThingHappened(thing_id="t-1", version=1, at=datetime(2026, 1, 2))


def test_reading_ignores_unknown_fields_at_every_depth() -> None:
    event = ThingHappened.read(
        {"thing_id": "t-1", "version": 3, "at": AT.isoformat(), "added": 1, "parts": [{"name": "a", "new": 2}]}
    )
    assert event == ThingHappened(thing_id="t-1", version=3, at=AT, parts=(Part(name="a"),))


def test_subject_version_and_dataschema() -> None:
    event = ThingHappened(thing_id="t-9", version=4, at=AT)
    assert event.event_subject() == "t-9"
    assert event.version == 4, "a payload field named version stays a field"
    assert ThingHappened.dataschema() == "urn:gov-platform:event:test.thing.happened:v1"
    assert ThingHappenedV2.dataschema() == dataschema("test.thing.happened", 2)
    assert version_of(None, "test.thing.happened") == 1
    assert version_of(ThingHappenedV2.dataschema(), "test.thing.happened") == 2
    assert version_of(ThingHappenedV2.dataschema(), "other.type") is None


def test_a_payload_field_named_like_the_contract_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot be payload fields"):

        class Bad(Event):
            type: str  # type: ignore[misc]

    with pytest.raises(TypeError, match="names no field"):

        class NoSubject(Event):
            type: ClassVar[str] = "test.no.subject"
            subject_field: ClassVar[str] = "missing"
            other: str


async def test_dispatch_by_type_and_version() -> None:
    seen: list[tuple[str, object]] = []
    handlers = EventHandlers(group="test.things")

    @handlers.on(ThingHappened)
    async def v1(session: AsyncSession, event: ThingHappened, env: CloudEvent) -> None:
        seen.append(("v1", event.version))

    @handlers.on(ThingHappenedV2)
    async def v2(session: AsyncSession, event: ThingHappenedV2, env: CloudEvent) -> None:
        seen.append(("v2", event.count))

    session = AsyncSession()
    await handlers(session, envelope({"thing_id": "t-1", "version": 5, "at": AT.isoformat()}))
    await handlers(session, envelope({"thing_id": "t-1", "count": 7}, schema=ThingHappenedV2.dataschema()))
    await handlers(session, envelope({"whatever": 1}, type_="test.other.happened"))
    assert seen == [("v1", 5), ("v2", 7)]

    sub = handlers.subscription(batch_size=1)
    assert (sub.group, list(sub.topics), sub.batch_size) == ("test.things", ["gov.test.things"], 1)
    with pytest.raises(ValueError, match="already handles"):
        handlers.on(ThingHappened)(v1)


async def test_a_malformed_event_or_an_unknown_version_raises_malformed_event() -> None:
    handlers = EventHandlers(group="test.things")

    @handlers.on(ThingHappened)
    async def v1(session: AsyncSession, event: ThingHappened, env: CloudEvent) -> None:
        raise AssertionError("not called for a malformed event")

    with pytest.raises(MalformedEvent) as caught:
        await handlers(AsyncSession(), envelope({"thing_id": "t-1", "version": "SECRET-42", "at": "yesterday"}))
    assert {tuple(e["loc"]) for e in caught.value.errors} == {("version",), ("at",)}  # type: ignore[index]
    assert "SECRET-42" not in str(caught.value.errors), "the input is not copied into the dead letter"
    with pytest.raises(MalformedEvent, match="names no version"):
        await handlers(
            AsyncSession(), envelope({"thing_id": "t-1", "count": 1}, schema=dataschema(ThingHappened.type, 3))
        )


def test_an_empty_group_has_no_subscription() -> None:
    with pytest.raises(ValueError, match="handles no event"):
        EventHandlers(group="test.none").subscription()
