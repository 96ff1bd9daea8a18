"""The contract base classes: an event is a pydantic model with its topic, type, version and publisher.

Publishing is strict (an unknown field, a wrong type or a naive time is refused when the event is built),
reading is tolerant of fields it does not know (a publisher may add an optional field without breaking its
consumers). A breaking change is a new version: a new model with the same ``type`` and ``version + 1``; the
version travels as the CloudEvent's ``dataschema``, ``urn:gov-platform:event:<type>:v<version>``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

# Validation context key under which a model drops the fields it does not know instead of refusing them.
READING = "gov_contracts.reading"
DATASCHEMA_PREFIX = "urn:gov-platform:event:"
_DATASCHEMA = re.compile(r"^urn:gov-platform:event:(?P<type>[^:]+):v(?P<version>[1-9][0-9]*)$")


class Contract(BaseModel):
    """A shape carried by an event (an event or a part of one): strict when built, tolerant when read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_when_reading(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and info.context and info.context.get(READING):
            known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
            return {k: v for k, v in data.items() if k in known}
        return data


class Event(Contract):
    """An event between services. A subclass sets ``topic``, ``type``, ``publisher`` (the CloudEvents
    ``source``, e.g. ``/svc-catalog``), ``version`` when above 1, and ``subject_field``: the field holding the
    aggregate id, which is the CloudEvent's ``subject`` (the partition key, so one aggregate's events keep
    their order). A model whose subject is not one field overrides :attr:`subject`."""

    topic: ClassVar[str]
    type: ClassVar[str]
    version: ClassVar[int] = 1
    publisher: ClassVar[str]
    subject_field: ClassVar[str] = ""

    @property
    def subject(self) -> str:
        return str(getattr(self, self.subject_field))

    @classmethod
    def dataschema(cls) -> str:
        return dataschema(cls.type, cls.version)

    @classmethod
    def read(cls, data: Any) -> Any:
        """The event in ``data`` (a CloudEvent's data), fields this version does not know ignored; raises
        ``pydantic.ValidationError`` when it does not match."""
        return cls.model_validate(data, context={READING: True})

    def to_data(self) -> dict[str, Any]:
        """The JSON object the CloudEvent carries."""
        return self.model_dump(mode="json", by_alias=True)


def dataschema(type_: str, version: int) -> str:
    return f"{DATASCHEMA_PREFIX}{type_}:v{version}"


def version_of(dataschema_: str | None, type_: str) -> int | None:
    """The version a CloudEvent's ``dataschema`` names for ``type_``: 1 when absent (events published before
    contracts were versioned), None when it names another contract or is not ours."""
    if not dataschema_:
        return 1
    match = _DATASCHEMA.match(dataschema_)
    if match is None or match["type"] != type_:
        return None
    return int(match["version"])
