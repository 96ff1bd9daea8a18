"""The only way a service publishes: ``await publish(session, event)`` in the transaction that made the
change the event describes (transactional outbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.events import CloudEvent
from gov_common.outbox import _add_event
from gov_contracts.base import Event


async def publish(session: AsyncSession, event: Event) -> CloudEvent:
    """Stage ``event`` in the caller's transaction (published only if it commits), on its contract's topic,
    with its type, source, subject and versioned ``dataschema``. The JSON it will carry is validated back
    through the model first, so that what consumers read is what the contract says (raises
    ``pydantic.ValidationError`` otherwise)."""
    model = type(event)
    if not getattr(model, "type", None) or not getattr(model, "topic", None):
        raise TypeError(f"{model.__name__} is not a concrete event contract (topic and type unset)")
    data = event.to_data()
    model.model_validate(data)
    return await _add_event(
        session,
        topic=model.topic,
        type=model.type,
        source=model.publisher,
        subject=event.event_subject(),
        data=data,
        dataschema=model.dataschema(),
    )
