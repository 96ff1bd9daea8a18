"""``Idempotency-Key`` on creating writes (IETF draft-ietf-httpapi-idempotency-key-header), one mechanism
for every service.

- The key: 1 to 200 printable ASCII characters (``MAX_KEY``, the width of every service's key column),
  else 400 ``idempotency-key-invalid``; missing where the operation requires it (``RequiredKey``,
  documented by ``KEY_REQUIRED``), 400 ``idempotency-key-required`` (the draft's answer to a missing key).
  Where the key is optional (``OptionalKey``, ``KEY_OPTIONAL``) a request without one is simply done.
- The same caller, scope and key with the same body (compared as canonical JSON, key order ignored) gets
  the first answer again, with its original status (a 201 stays 201: the draft asks for the same answer)
  and body, plus ``Idempotent-Replayed: true``; nothing is done again.
- The same key with another body: 409 ``idempotency-key-reused``.
- Two requests with one key at once: the second waits on the first's uncommitted claim (the primary key
  of the record table), then replays its answer, or proceeds if the first failed; never a duplicate row,
  never a 500. A claim left without an answer is 409 ``idempotency-key-in-progress``.
- A refusal the request commits anyway (a problem answered, not raised) is remembered like a success and
  replayed as the same problem.

A service keeps the first answers in its own table (``class IdempotencyRecord(IdempotencyRecordMixin,
Base): pass``)::

    @router.post("", status_code=201, summary="Create a thing; Idempotency-Key required",
                 openapi_extra=idempotency.KEY_REQUIRED)
    async def create(thing_in: ThingCreate, session: SessionDep, principal: PrincipalDep,
                     key: idempotency.RequiredKey) -> Response:
        claim = await idempotency.claim(session, IdempotencyRecord, principal=principal.subject,
                                        scope="things", key=key, body=thing_in.model_dump(mode="json"))
        if claim.replay:
            return claim.response()
        body = ...create...
        return idempotency.remember(claim, status_code=201, body=body)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gov_common.db import UtcDateTime
from gov_common.errors import PROBLEM_CONTENT_TYPE, Conflict, ProblemError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY = 200
_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY}}}")
_DESCRIPTION = (
    f"1 to {MAX_KEY} printable ASCII characters, new for each intended create: the same key with the same body "
    "answers as the first request did (same status and body, with `Idempotent-Replayed: true`); with another "
    "body, 409"
)


class IdempotencyKeyRequired(ProblemError):
    slug, status, title = "idempotency-key-required", 400, "Send an Idempotency-Key header"


class IdempotencyKeyInvalid(ProblemError):
    slug, status, title = "idempotency-key-invalid", 400, "The Idempotency-Key header is not a valid key"


class IdempotencyKeyReused(Conflict):
    slug, title = "idempotency-key-reused", "This Idempotency-Key was used with another request"


class IdempotencyKeyInProgress(Conflict):
    slug, title = "idempotency-key-in-progress", "A request with this Idempotency-Key has not finished"


def _checked(key: str | None, *, required: bool) -> str | None:
    if key is None:
        if required:
            raise IdempotencyKeyRequired(f"this operation needs an {HEADER} header ({_DESCRIPTION})")
        return None
    if not _KEY.fullmatch(key):
        raise IdempotencyKeyInvalid(f"an {HEADER} has 1 to {MAX_KEY} printable ASCII characters")
    return key


def _required_key(request: Request) -> str:
    key = _checked(request.headers.get(HEADER), required=True)
    assert key is not None
    return key


def _optional_key(request: Request) -> str | None:
    return _checked(request.headers.get(HEADER), required=False)


def _parameter(*, required: bool) -> dict[str, Any]:
    return {
        "name": HEADER,
        "in": "header",
        "required": required,
        "description": _DESCRIPTION,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[\\x20-\\x7e]+$"},
    }


# The OpenAPI of an operation taking RequiredKey / OptionalKey: ``@router.post(..., openapi_extra=KEY_REQUIRED)``
# (the key is read by a dependency so that a missing or bad key is our 400, not a 422).
KEY_REQUIRED: dict[str, Any] = {"parameters": [_parameter(required=True)]}
KEY_OPTIONAL: dict[str, Any] = {"parameters": [_parameter(required=False)]}

_REPLAYED_DOC: dict[str, Any] = {
    "description": "`true` on the answer of an earlier request with the same key and body (nothing was done again)",
    "schema": {"type": "string", "enum": ["true"]},
}


def document_replays(spec: dict[str, Any]) -> None:
    """Document ``Idempotent-Replayed`` on the success answers of every operation in ``spec`` that reads an
    ``Idempotency-Key`` (a replay answers the first status and body)."""
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            if not any(p.get("name") == HEADER for p in operation.get("parameters", [])):
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status).startswith("2") and isinstance(response, dict):
                    response.setdefault("headers", {}).setdefault(REPLAYED_HEADER, _REPLAYED_DOC)


RequiredKey = Annotated[str, Depends(_required_key)]
OptionalKey = Annotated[str | None, Depends(_optional_key)]


def request_hash(body: Any) -> str:
    """A stable digest of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyRecordMixin:
    """Columns of a service's table of first answers (``class IdempotencyRecord(IdempotencyRecordMixin,
    Base): pass``); one row per caller, scope and key."""

    __tablename__ = "idempotency_record"

    principal: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


def create_record_table() -> None:
    """Create the service's ``idempotency_record`` table (the mixin's columns) from inside an Alembic
    migration's ``upgrade``."""
    from alembic import op

    op.create_table(
        IdempotencyRecordMixin.__tablename__,
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=MAX_KEY), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal", "scope", "key", name=op.f("pk_idempotency_record")),
    )


def drop_record_table() -> None:
    """Drop the table of :func:`create_record_table` from inside a migration's ``downgrade``."""
    from alembic import op

    op.drop_table(IdempotencyRecordMixin.__tablename__)


def drop_keys_on_rows(keyed: dict[str, tuple[str, str]]) -> None:
    """From inside a migration's ``upgrade``: drop the former mechanism's ``idempotency_key`` and
    ``request_hash`` columns (and the unique constraint ``keyed[table][0]`` on them, if any) from each table.

    On SQLite they stay, unmapped and empty from now on: dropping a constrained column rebuilds the table,
    which rows of other tables pointing at it forbid (foreign keys are on inside the migration)."""
    from alembic import op

    if op.get_bind().dialect.name == "sqlite":
        return
    for table, (constraint, _owner) in keyed.items():
        if constraint:
            op.drop_constraint(constraint, table, type_="unique")
        op.drop_column(table, "idempotency_key")
        op.drop_column(table, "request_hash")


def restore_keys_on_rows(keyed: dict[str, tuple[str, str]]) -> None:
    """The ``downgrade`` of :func:`drop_keys_on_rows`: the columns back (empty), unique per owner column
    ``keyed[table][1]`` under the constraint named ``keyed[table][0]``."""
    from alembic import op

    if op.get_bind().dialect.name == "sqlite":
        return
    for table, (constraint, owner) in keyed.items():
        op.add_column(table, sa.Column("idempotency_key", sa.String(length=MAX_KEY), nullable=True))
        op.add_column(table, sa.Column("request_hash", sa.String(length=64), nullable=True))
        if constraint:
            op.create_unique_constraint(constraint, table, [owner, "idempotency_key"])


R = TypeVar("R", bound=IdempotencyRecordMixin)


def _answer(status_code: int, body: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    media_type = PROBLEM_CONTENT_TYPE if status_code >= 400 else None  # a remembered refusal stays a problem
    return JSONResponse(body, status_code=status_code, headers=headers, media_type=media_type)


@dataclass
class Claim(Generic[R]):
    record: R  # not in the session when the request had no key (an optional key): nothing is remembered
    replay: bool  # True: answer with response() and do nothing else

    def response(self, headers: dict[str, str] | None = None, *, unkept: dict[str, Any] | None = None) -> JSONResponse:
        """The first request's answer again (its status and body), marked as a replay. ``unkept``: fields
        of the answer not remembered (a secret is kept only sealed), added back."""
        body = {**self.record.body, **unkept} if unkept else self.record.body
        return _answer(self.record.status_code, body, {**(headers or {}), REPLAYED_HEADER: "true"})


async def claim(
    session: AsyncSession, model: type[R], *, principal: str, scope: str, key: str | None, body: Any
) -> Claim[R]:
    """Claim ``key`` for this request, or find the answer of an earlier one with the same key and body.

    ``principal`` is who calls ("" for an anonymous operation; a department when its members share keys),
    ``scope`` the operation. ``key=None`` (an optional key not sent) claims nothing: the request is done and
    :func:`remember` only shapes its answer. On PostgreSQL a concurrent duplicate waits on the first one's
    uncommitted row, then replays its answer."""
    digest = request_hash(body)
    record = model()
    record.principal, record.scope, record.request_hash = principal, scope, digest
    record.status_code, record.body, record.created_at = 0, {}, datetime.now(UTC)
    if key is None:
        return Claim(record, replay=False)
    key = _checked(key, required=True)
    assert key is not None
    record.key = key
    pk = (principal, scope, key)
    existing = await session.get(model, pk)
    if existing is None:
        try:
            async with session.begin_nested():
                session.add(record)
                await session.flush()
            return Claim(record, replay=False)
        except IntegrityError:
            # Another request with this key committed meanwhile (we waited on its row): answer as it did.
            existing = await session.get(model, pk, populate_existing=True)
            if existing is None:
                raise IdempotencyKeyInProgress("try again in a moment") from None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused("send a new Idempotency-Key for a different request")
    if existing.status_code == 0:
        raise IdempotencyKeyInProgress("try again in a moment")
    return Claim(existing, replay=True)


def remember(
    claimed: Claim[Any], *, status_code: int, body: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Keep the answer to replay for this key, and return it as this request's response (a problem+json
    one when ``status_code`` is an error)."""
    claimed.record.status_code = status_code
    claimed.record.body = body
    return _answer(status_code, body, headers)
