"""The contract base classes: an event is a pydantic model with its topic, type, version and publisher.

Publishing is strict (an unknown field, a wrong type or a naive time is refused when the event is built),
reading is tolerant of fields it does not know (a publisher may add an optional field without breaking its
consumers). A breaking change is a new version: a new model with the same ``type`` and ``schema_version + 1``;
the version travels as the CloudEvent's ``dataschema``, ``urn:gov-platform:event:<type>:v<version>``.
(``schema_version``, not ``version``, and :meth:`Event.event_subject`, not ``subject``: payloads have fields
named ``version`` (an item version) and ``subject`` (an account id).)
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


_RESERVED = ("topic", "type", "schema_version", "publisher", "subject_field")


class Event(Contract):
    """An event between services. A subclass sets ``topic``, ``type``, ``publisher`` (the CloudEvents
    ``source``, e.g. ``/svc-catalog``), ``schema_version`` when above 1, and ``subject_field``: the field
    holding the aggregate id, which is the CloudEvent's ``subject`` (the partition key, so one aggregate's
    events keep their order). A model whose subject is not one field overrides :meth:`event_subject`."""

    topic: ClassVar[str]
    type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    publisher: ClassVar[str]
    subject_field: ClassVar[str] = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # pydantic silently drops a field whose name is a base's ClassVar: refuse it instead.
        own = vars(cls).get("__annotations__", {})
        clash = [n for n in _RESERVED if n in own and "ClassVar" not in str(own[n])]
        if clash:
            raise TypeError(f"{cls.__name__}: {clash} name the contract itself and cannot be payload fields")
        concrete = hasattr(cls, "type")  # bases shared by several types set subject_field before the fields
        if concrete and cls.subject_field not in cls.model_fields:
            raise TypeError(f"{cls.__name__}.subject_field names no field: {cls.subject_field!r}")

    def event_subject(self) -> str:
        """The CloudEvent's ``subject``: the aggregate id (the value of ``subject_field``)."""
        return str(getattr(self, self.subject_field))

    @classmethod
    def dataschema(cls) -> str:
        return dataschema(cls.type, cls.schema_version)

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
