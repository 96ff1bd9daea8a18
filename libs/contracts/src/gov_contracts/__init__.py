"""The contracts between services: typed, versioned events and the one way to publish and subscribe.

- :class:`Event`: a pydantic model per event type, one module per publisher (``gov_contracts.catalog``...).
- :func:`publish`: ``await publish(session, event)`` stages it in the caller's transaction (outbox).
- :class:`EventHandlers`: typed dispatch for a consumer group; ``handlers.subscription()`` for ``SPEC``.
- ``gov_contracts.registry``: every contract by type; ``gov_contracts.testing``: sample events for tests.
"""

from gov_contracts.base import Contract, Event, dataschema, version_of
from gov_contracts.handlers import EventHandlers
from gov_contracts.publishing import publish

__all__ = ["Contract", "Event", "EventHandlers", "dataschema", "publish", "version_of"]
