"""Dependencies of svc-payment's endpoints: the channel adapters and settings, and ``Current<Thing>``
loaders that 404 before any authorisation detail leaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from payment.channels.base import ChannelAdapter
from payment.errors import UnknownChannel
from payment.settings import Settings


@dataclass
class PaymentContext:
    """What svc-payment adds to the runtime: settings and the channel adapters by name."""

    settings: Settings
    channels: dict[str, ChannelAdapter] = field(default_factory=dict)

    def channel(self, name: str) -> ChannelAdapter:
        adapter = self.channels.get(name)
        if adapter is None:
            raise UnknownChannel(f"no channel named {name!r}", channels=sorted(self.channels))
        return adapter

    @property
    def notify_url_base(self) -> str:
        return self.settings.notify_base_url.rstrip("/")


def get_context(request: Request) -> PaymentContext:
    context: PaymentContext = request.app.state.payment
    return context


ContextDep = Annotated[PaymentContext, Depends(get_context)]
