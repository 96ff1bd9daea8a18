"""Fixtures of svc-hall's tests: the service on a real database with a movable clock, a token issuer,
headers for every kind of caller, a hall set up by its admin, and appointments delivered the way
application delivers them (``application.appointment.booked`` on the service's bus)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from gov_common.db import Database
from gov_common.testing import TestIssuer, eventually, serve_lifespan
from gov_contracts.application import AppointmentBooked
from gov_contracts.testing import envelope
from hall.main import create_app
from hall.platform import Platform
from hall.settings import Settings

REGION = "450100"
APPOINTMENT_HALL = "6f1c2c57-0000-4000-8000-00000000a11a"
# Monday 7 December 2026, 10:00 in China.
START = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


HALL = {
    "name": "南宁市民中心",
    "region": REGION,
    "address": "民族大道",
    "appointment_hall_id": APPOINTMENT_HALL,
    "queues": [
        {"code": "A", "name": "综合受理", "priority_groups": ["elderly"], "no_show_minutes": 10},
        {"code": "B", "name": "企业开办", "department": "11450100MBQH0Y21QM"},
    ],
    "windows": [
        {"name": "1号窗口", "queues": ["A"], "department": "11450100MBQH0Y21QM"},
        {"name": "2号窗口", "queues": ["A", "B"]},
        {"name": "3号窗口", "queues": ["B"]},
    ],
}


@dataclass
class PlatformStub:
    """The services a kiosk's requests reach, as their contracts say (their own sides are tested in their
    services): identity's ``/token`` for svc-hall's client (a token per scope) and ``/v1/holder-matches``;
    application's ``/v1/case-lookups``; certificates' ``/v1/kiosk-prints/licenses`` and ``/v1/kiosk-prints``.
    ``seen`` keeps (path, Authorization, body) of every call after the token."""

    holders: dict[str, str] = field(default_factory=dict)  # account subject -> ID number
    cases: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # tracking -> (ID number, status)
    licences: list[dict[str, Any]] = field(default_factory=list)  # each with the holder's "id_number"
    seen: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        stub = FastAPI()

        def asked(request: Request, body: dict[str, Any], scope: str) -> None:
            authorization = request.headers.get("authorization", "")
            self.seen.append((request.url.path, authorization, body))
            if authorization != f"Bearer hall-{scope}":
                raise HTTPException(403)

        @stub.post("/token")
        async def token(grant_type: str = Form(), scope: str = Form(), authorization: str = Header()) -> dict[str, Any]:
            if grant_type != "client_credentials" or authorization != "Basic c3ZjLWhhbGw6aGFsbC1zZWNyZXQ=":
                raise HTTPException(401)  # svc-hall:hall-secret
            return {"access_token": f"hall-{scope}", "token_type": "Bearer", "expires_in": 300}

        @stub.post("/v1/holder-matches")
        async def holder_match(request: Request) -> dict[str, bool]:
            body = await request.json()
            asked(request, body, "identity.holder.match")
            return {"matches": self.holders.get(body["subject"]) == body["id_number"]}

        @stub.post("/v1/case-lookups")
        async def case_lookup(request: Request) -> JSONResponse:
            body = await request.json()
            asked(request, body, "application.cases.lookup")
            applicant, status = self.cases.get(body["tracking_number"], ("", {}))
            if applicant != body["id_number"]:
                return JSONResponse({"status": 404}, status_code=404, media_type="application/problem+json")
            return JSONResponse(status)

        def printable(id_number: str) -> list[dict[str, Any]]:
            return [
                {k: v for k, v in lic.items() if k != "id_number"}
                for lic in self.licences
                if lic["id_number"] == id_number
            ]

        @stub.post("/v1/kiosk-prints/licenses")
        async def licences(request: Request) -> dict[str, Any]:
            body = await request.json()
            asked(request, body, "certificates.licenses.print")
            return {"items": printable(body["id_number"]), "next_cursor": None}

        @stub.post("/v1/kiosk-prints")
        async def print_one(request: Request) -> Response:
            body = await request.json()
            asked(request, body, "certificates.licenses.print")
            if body["license_id"] not in {lic["id"] for lic in printable(body["id_number"])}:
                return JSONResponse({"status": 404}, status_code=404, media_type="application/problem+json")
            return Response(b"%PDF-1.7 licence " + body["license_id"].encode(), media_type="application/pdf")

        return stub


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    issuer: TestIssuer
    clock: Clock

    HALL: ClassVar[dict[str, Any]] = HALL

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def admin(self, region: str = REGION) -> dict[str, str]:
        return self.issuer.headers("admin-1", kind="staff", roles=["staff_admin"], region=region, department="d")

    def staff(self, subject: str = "staff-1", region: str = REGION) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=["acceptor"], region=region, department="d")

    def supervisor(self, region: str = REGION) -> dict[str, str]:
        return self.issuer.headers("sup-1", kind="staff", roles=["supervisor"], region=region, department="s")

    def citizen(self, subject: str = "citizen-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    def kiosk(self, client_id: str = "kiosk-nn-1") -> dict[str, str]:
        return self.issuer.headers(client_id, kind="system", scopes=["hall.tickets.take"], client_id=client_id)

    async def hall(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = await self.client.post("/v1/halls", json=body or HALL, headers=self.admin())
        assert resp.status_code == 201, resp.text
        found: dict[str, Any] = resp.json()
        return found

    @staticmethod
    def window(hall: dict[str, Any], name: str) -> str:
        return str(next(w["id"] for w in hall["windows"] if w["name"] == name))

    async def sign_in(self, window_id: str, staff: str = "staff-1") -> None:
        resp = await self.client.post(f"/v1/windows/{window_id}/sign-in", headers=self.staff(staff))
        assert resp.status_code == 200, resp.text

    async def desk_ticket(self, hall_id: str, queue: str = "A", **extra: Any) -> dict[str, Any]:
        resp = await self.client.post(
            f"/v1/halls/{hall_id}/tickets", json={"queue": queue, **extra}, headers=self.staff()
        )
        assert resp.status_code == 201, resp.text
        found: dict[str, Any] = resp.json()
        return found

    async def call_next(self, window_id: str, staff: str = "staff-1") -> httpx.Response:
        return await self.client.post(f"/v1/windows/{window_id}/call-next", headers=self.staff(staff))

    async def book(self, *, holder: str = "citizen-1", slot_start: datetime | None = None, minutes: int = 30) -> str:
        """An appointment as application books it: the event on the service's bus; waits until it is known."""
        start = slot_start or self.clock.now
        reference = "YY" + "".join(secrets.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(8))
        event = AppointmentBooked(
            appointment_id=str(uuid.uuid4()),
            hall_id=APPOINTMENT_HALL,
            reference=reference,
            subject=holder,
            application_id=None,
            slot_start=start,
            slot_end=start + timedelta(minutes=minutes),
            booked_at=self.clock.now - timedelta(days=1),
        )
        await self.app.state.runtime.bus.publish(AppointmentBooked.topic, [envelope(event)])

        async def known() -> bool:
            return bool(await self.sql("SELECT 1 FROM appointment WHERE reference = :r", r=reference))

        await eventually(known, what=f"appointment {reference}", timeout=20)
        return reference

    def connect(self, stub: PlatformStub, **settings: Any) -> PlatformStub:
        """The hall's calls to identity, application and certificates answered by ``stub``."""
        update = {"identity_client_secret": "hall-secret", **settings}
        transport = httpx.ASGITransport(app=stub.app())
        self.app.state.hall.platform = Platform(
            self.app.state.hall.settings.model_copy(update=update),
            transports={"identity": transport, "application": transport, "certificates": transport},
        )
        return stub

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.db.transaction() as session:
            result = await session.execute(sa.text(statement), params)
            return list(result.all()) if result.returns_rows else []


def settings_for(tmp_path: Path, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "environment": "test",
        "worker_enabled": False,
        "outbox_poll_seconds": 0.1,
        "screen_poll_seconds": 0.1,
        "log_json": False,
    }
    values.update(over)
    return Settings(**values)


@asynccontextmanager
async def run_hall(tmp_path: Path, **over: Any) -> AsyncIterator[Api]:
    clock = Clock(START)
    app = create_app(settings_for(tmp_path, **over), clock=clock)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_lifespan(app) as client:
        yield Api(client=client, app=app, issuer=issuer, clock=clock)


@pytest.fixture
async def api(pg_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """svc-hall on PostgreSQL (embedded event log), its clock at Monday 2026-12-07 10:00 China time."""
    async with run_hall(tmp_path, database_url=pg_url) as running:
        yield running


@pytest.fixture
def serve_hall(pg_url: str, tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[Api]]:
    """``async with serve_hall(**settings) as api``: the service on PostgreSQL with other settings."""

    def factory(**over: Any) -> AbstractAsyncContextManager[Api]:
        return run_hall(tmp_path, database_url=pg_url, **over)

    return factory


@pytest.fixture
def serve_hall_on_sqlite(tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[Api]]:
    """``async with serve_hall_on_sqlite() as api``: the service on the embedded default (a SQLite file)."""

    def factory(**over: Any) -> AbstractAsyncContextManager[Api]:
        return run_hall(tmp_path, **over)

    return factory
