"""Dependencies of svc-identity: its runtime parts and the caller's address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from identity.basedata import LegalPersonBase, PopulationBase
from identity.pii import PersonalData
from identity.settings import Settings
from identity.signing import KeyStore
from identity.sms import SmsSender


@dataclass
class Identity:
    settings: Settings
    pii: PersonalData
    keys: KeyStore
    population: PopulationBase
    sms: SmsSender
    legal_persons: LegalPersonBase


def get_identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


IdentityDep = Annotated[Identity, Depends(get_identity)]
AddressDep = Annotated[str | None, Depends(client_address)]
