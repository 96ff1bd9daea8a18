"""Typed subscription: a consumer group's handlers, one per contract, dispatched by CloudEvent type.

    handlers = EventHandlers(group="workflow.applications")

    @handlers.on(ApplicationSubmitted)
    async def opened(session: AsyncSession, event: ApplicationSubmitted, envelope: CloudEvent) -> None: ...

    SPEC = ServiceSpec(..., subscriptions=[handlers.subscription()])

The topics are those of the contracts handled; other types on them are ignored. An event that does not match
its contract (or names a version no handler reads) raises :class:`gov_common.bus.MalformedEvent`, which the
consumer dead-letters at the first attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import MalformedEvent
from gov_common.events import CloudEvent
from gov_common.service import Subscription
from gov_contracts.base import Event, version_of

E = TypeVar("E", bound=Event)
TypedHandler = Callable[[AsyncSession, E, CloudEvent], Awaitable[None]]


class EventHandlers:
    """The handlers of one consumer group (``group``: ``<service>.<purpose>``)."""

    def __init__(self, *, group: str) -> None:
        self.group = group
        # type -> version -> (model, handler)
        self._handlers: dict[str, dict[int, tuple[type[Event], Callable[..., Awaitable[None]]]]] = {}

    def on(self, model: type[E]) -> Callable[[TypedHandler[E]], TypedHandler[E]]:
        """Register the decorated function for ``model``'s type and schema version (one handler each)."""

        def register(fn: TypedHandler[E]) -> TypedHandler[E]:
            versions = self._handlers.setdefault(model.type, {})
            if model.schema_version in versions:
                raise ValueError(f"{self.group} already handles {model.type} v{model.schema_version}")
            versions[model.schema_version] = (model, fn)
            return fn

        return register

    @property
    def models(self) -> list[type[Event]]:
        return [model for versions in self._handlers.values() for model, _ in versions.values()]

    @property
    def topics(self) -> list[str]:
        return sorted({model.topic for model in self.models})

    def handles(self, type_: str) -> bool:
        return type_ in self._handlers

    async def __call__(self, session: AsyncSession, envelope: CloudEvent) -> None:
        versions = self._handlers.get(envelope.type)
        if versions is None:
            return  # another type on a topic this group reads
        version = version_of(envelope.dataschema, envelope.type)
        if version not in versions:
            raise MalformedEvent(
                f"{envelope.type} {envelope.id}: dataschema {envelope.dataschema!r} names no version "
                f"{self.group} reads ({sorted(versions)})"
            )
        model, handler = versions[version]
        try:
            event = model.read(envelope.data)
        except ValidationError as exc:
            raise MalformedEvent(
                f"{envelope.type} {envelope.id}: {exc.error_count()} invalid field(s)",
                errors=_errors(exc),
            ) from exc
        await handler(session, event, envelope)

    def subscription(self, *, batch_size: int | None = None) -> Subscription:
        """This group as a service's subscription (``batch_size`` 1 for a handler that waits on another
        service inside its transaction)."""
        if not self._handlers:
            raise ValueError(f"{self.group} handles no event")
        return Subscription(group=self.group, topics=self.topics, handler=self, batch_size=batch_size)


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    # Where and what, never the input: an event may carry personal data the dead-letter headers must not copy.
    return [{"loc": list(e["loc"]), "type": e["type"], "msg": e["msg"]} for e in exc.errors(include_url=False)]
