"""Attack: callers reach cases, ratings and rectifications that are not theirs, or beyond their grant
(issue 15, finding 7): an enterprise token without ``workflow.cases.read`` reads every case of its
enterprise, an agent rates without ``evaluation.ratings.write``, a person's citizen token rates and reads
what they did as an enterprise's agent. Answer: one access policy (gov_common.policy) decides, as the
tables below say for each kind of caller, operation and record.

Records: ``cit`` is citizen cit-1's case in Nanning (450102, Nanning's market regulation department),
``ent`` the case enterprise E1 applied for through its agent agent-1 (same department and region), ``lz``
a case of cit-1 in Liuzhou (450202, Liuzhou's department). Both services run in-process on PostgreSQL.

Statuses: 200/201 the caller is let through; 403 refused (no scope, or a scope but not the right role);
404 not shown (the record's existence is not confirmed). Every refusal changes nothing.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from gov_common.testing import TestIssuer, eventually, fresh_pg_database, serve_lifespan
from gov_contracts.testing import envelope, item_published

ROOT = Path(__file__).resolve().parents[2]


def _workflow_fixtures() -> Any:
    """svc-workflow's own test helpers (the food item, application.submitted as its contract)."""
    spec = importlib.util.spec_from_file_location("workflow_test_fixtures", ROOT / "svc-workflow/tests/conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


wf = _workflow_fixtures()
NN, LZ = "450100", "450200"
NN_MARKET, LZ_MARKET, NN_HEALTH = wf.NN_MARKET, wf.LZ_MARKET, "11450100MB1234567X"
E1, E2 = "91450100MA5K000001", "91450100MA5K000002"
RECORDS = ("cit", "ent", "lz")

# Every kind of caller: token claims (scopes left out: what a first-party client gives that kind).
CALLERS: dict[str, dict[str, Any]] = {
    "citizen owner": {"subject": "cit-1", "kind": "citizen"},
    "other citizen": {"subject": "cit-2", "kind": "citizen"},
    "agent-1 as citizen": {"subject": "agent-1", "kind": "citizen"},
    "agent of E1": {"subject": "agent-1", "kind": "enterprise", "enterprise": E1},
    "agent of E1 w/o scope": {
        "subject": "agent-2",
        "kind": "enterprise",
        "enterprise": E1,
        "scopes": ["application.applications.read"],
    },
    "agent of E2": {"subject": "agent-3", "kind": "enterprise", "enterprise": E2},
    "staff of dept": {
        "subject": "nn-staff",
        "kind": "staff",
        "roles": ["acceptor", "reviewer", "approver"],
        "region": NN,
        "department": NN_MARKET,
    },
    "staff other dept": {
        "subject": "nn-health",
        "kind": "staff",
        "roles": ["acceptor", "reviewer", "approver"],
        "region": NN,
        "department": NN_HEALTH,
    },
    "staff other region": {
        "subject": "lz-staff",
        "kind": "staff",
        "roles": ["acceptor", "reviewer", "approver"],
        "region": LZ,
        "department": LZ_MARKET,
    },
    "supervisor of region": {"subject": "nn-sup", "kind": "staff", "roles": ["supervisor"], "region": NN},
    "supervisor other region": {"subject": "lz-sup", "kind": "staff", "roles": ["supervisor"], "region": LZ},
    "system with scope": {
        "subject": "platform-system",
        "kind": "system",
        "scopes": [
            "workflow.cases.read",
            "workflow.cases.handle",
            "workflow.supervision.read",
            "evaluation.ratings.read",
            "evaluation.ratings.relay",
        ],
    },
    "system w/o scope": {"subject": "other-system", "kind": "system", "scopes": []},
}


def table(rows: dict[str, tuple[int, int, int]]) -> list[Any]:
    """``{caller: (cit, ent, lz)}`` as one test case per caller and record; every caller must be listed."""
    assert set(rows) == set(CALLERS), set(CALLERS) ^ set(rows)
    return [
        pytest.param(caller, record, status, id=f"{caller}-{record}")
        for caller, row in rows.items()
        for record, status in zip(RECORDS, row, strict=True)
    ]


def headers(issuer: TestIssuer, caller: str) -> dict[str, str]:
    claims = dict(CALLERS[caller])
    return issuer.headers(claims.pop("subject"), **claims)


# --- workflow ------------------------------------------------------------------------------------------

# Reading a case, and its trace: the applicant (a citizen token for a citizen's case, an agent holding
# workflow.cases.read for the enterprise's), staff of the department and supervisors inside their region.
CASE_READ = table(
    {
        "citizen owner": (200, 404, 200),
        "other citizen": (404, 404, 404),
        "agent-1 as citizen": (404, 404, 404),
        "agent of E1": (404, 200, 404),
        "agent of E1 w/o scope": (403, 403, 403),
        "agent of E2": (404, 404, 404),
        "staff of dept": (200, 200, 404),
        "staff other dept": (404, 404, 404),
        "staff other region": (404, 404, 200),
        "supervisor of region": (200, 200, 404),
        "supervisor other region": (404, 404, 200),
        "system with scope": (404, 404, 404),
        "system w/o scope": (403, 403, 403),
    }
)
# Listing cases: 200 when the record is in the caller's list, 404 when it is not.
CASE_LIST = table(
    {
        **dict.fromkeys(CALLERS, (404, 404, 404)),
        "citizen owner": (200, 404, 200),
        "agent of E1": (404, 200, 404),
        "agent of E1 w/o scope": (403, 403, 403),
        "staff of dept": (200, 200, 404),
        "staff other region": (404, 404, 200),
        "supervisor of region": (200, 200, 404),
        "supervisor other region": (404, 404, 200),
        "system with scope": (403, 403, 403),
        "system w/o scope": (403, 403, 403),
    }
)
# Claiming the case's open task: handling staff of the department in the region only.
TASK_CLAIM = table(
    {
        **dict.fromkeys(CALLERS, (403, 403, 403)),
        "staff of dept": (200, 200, 404),
        "staff other dept": (404, 404, 404),
        "staff other region": (404, 404, 200),
        "supervisor of region": (404, 404, 404),
        "supervisor other region": (404, 404, 404),
    }
)
# The supervision view of the record's region: supervisors of a region covering it.
SUPERVISION = table(
    {
        **dict.fromkeys(CALLERS, (403, 403, 403)),
        "supervisor of region": (200, 200, 403),
        "supervisor other region": (403, 403, 200),
    }
)


@dataclass
class Workflow:
    client: httpx.AsyncClient
    issuer: TestIssuer
    cases: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    db: Any = None


@pytest.fixture(scope="module")
async def workflow(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Workflow]:
    """svc-workflow on PostgreSQL with the three cases open, each with its acceptance task."""
    from workflow.clock import SettableClock
    from workflow.main import create_app
    from workflow.models import Case, Task
    from workflow.settings import Settings

    suffix = uuid.uuid4().hex[:8]
    async with fresh_pg_database(pg_admin_dsn) as url:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("workflow"),
            database_url=url,
            log_json=False,
            outbox_poll_seconds=0.05,
            consumer_retry_backoff_seconds=0.05,
            sla_sweep_enabled=False,
            topic_prefix=f"sec.{suffix}.",  # topics of its own
        )
        app = create_app(settings, clock=SettableClock(wf.START))
        issuer = TestIssuer()
        issuer.install(app)
        async with serve_lifespan(app) as client:
            bus = app.state.runtime.bus
            lz_code = "000112004000-450200-test"
            lz_item = wf.food_definition(region=LZ, department={"code": LZ_MARKET, "name": "柳州市市场监督管理局"})
            for code, definition in ((wf.CODE, wf.food_definition()), (lz_code, lz_item)):
                published = item_published(definition, code=code)
                await bus.publish(settings.topic_prefix + published.topic, [envelope(published)])
            applications = {
                "cit": wf.submitted(applicant="cit-1"),
                "ent": wf.submitted(applicant="agent-1"),
                "lz": wf.submitted(applicant="cit-1", code=lz_code),
            }
            agent = applications["ent"].applicant.model_copy(update={"kind": "enterprise", "enterprise": E1})
            applications["ent"] = applications["ent"].model_copy(update={"applicant": agent})
            for submitted in applications.values():
                await bus.publish(settings.topic_prefix + submitted.topic, [envelope(submitted)])
            running = Workflow(client=client, issuer=issuer, db=app.state.runtime.db)

            async def opened() -> bool:
                async with running.db.transaction() as session:
                    rows = (
                        await session.execute(
                            sa.select(Case.application_id, Case.id, Case.region, Task.id)
                            .join(Task, Task.case_id == Case.id)
                            .where(Task.kind == "accept")
                        )
                    ).all()
                by_application = {r[0]: r for r in rows}
                for record, data in applications.items():
                    row = by_application.get(data.application_id)
                    if row is None:
                        return False
                    running.cases[record], running.regions[record], running.tasks[record] = (
                        str(row[1]),
                        row[2],
                        str(row[3]),
                    )
                return True

            await eventually(opened, "the three cases open")
            yield running


async def _listed(wf_env: Workflow, caller: str, record: str) -> int:
    resp = await wf_env.client.get("/v1/cases", params={"limit": 100}, headers=headers(wf_env.issuer, caller))
    if resp.status_code != 200:
        return resp.status_code
    return 200 if wf_env.cases[record] in {c["id"] for c in resp.json()["items"]} else 404


@pytest.mark.parametrize(("caller", "record", "expected"), CASE_READ)
async def test_reading_a_case_and_its_trace(workflow: Workflow, caller: str, record: str, expected: int) -> None:
    """Attack: read a case (and its trace) that is not yours, or beyond your token's grant."""
    auth = headers(workflow.issuer, caller)
    case = await workflow.client.get(f"/v1/cases/{workflow.cases[record]}", headers=auth)
    trace = await workflow.client.get(f"/v1/cases/{workflow.cases[record]}/trace", headers=auth)
    assert (case.status_code, trace.status_code) == (expected, expected), case.text
    if expected == 403:
        assert case.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("caller", "record", "expected"), CASE_LIST)
async def test_listing_cases(workflow: Workflow, caller: str, record: str, expected: int) -> None:
    """Attack: list cases and find others' (an enterprise token without the scope, another kind's)."""
    assert await _listed(workflow, caller, record) == expected


@pytest.mark.parametrize(("caller", "record", "expected"), TASK_CLAIM)
async def test_claiming_a_task(workflow: Workflow, caller: str, record: str, expected: int) -> None:
    """Attack: claim (and so handle) a task of a case outside your department, region or role."""
    from workflow.models import Task

    auth = headers(workflow.issuer, caller)
    task = workflow.tasks[record]
    resp = await workflow.client.post(f"/v1/tasks/{task}/claim", headers=auth)
    assert resp.status_code == expected, resp.text
    if expected == 200:  # give it back for the next row
        assert (await workflow.client.post(f"/v1/tasks/{task}/release", headers=auth)).status_code == 200
    async with workflow.db.transaction() as session:
        stored = await session.get(Task, uuid.UUID(task))
    assert stored is not None and (stored.status, stored.assignee) == ("open", None)


@pytest.mark.parametrize(("caller", "record", "expected"), SUPERVISION)
async def test_supervising_a_region(workflow: Workflow, caller: str, record: str, expected: int) -> None:
    """Attack: read the supervision view of the record's region without being its supervisor."""
    region = workflow.regions[record][:4] + "00"
    resp = await workflow.client.get(
        "/v1/supervision/summary", params={"region": region}, headers=headers(workflow.issuer, caller)
    )
    assert resp.status_code == expected, resp.text


# --- evaluation ----------------------------------------------------------------------------------------

# Rating a completed case: its applicant only, holding evaluation.ratings.write (citizen or agent).
RATE = table(
    {
        **dict.fromkeys(CALLERS, (403, 403, 403)),
        "citizen owner": (201, 403, 201),
        "agent of E1": (403, 201, 403),
    }
)
# Reading a rating: its applicant, handling staff of the department, supervisors of the region, reading systems.
RATING_READ = table(
    {
        "citizen owner": (200, 404, 200),
        "other citizen": (404, 404, 404),
        "agent-1 as citizen": (404, 404, 404),
        "agent of E1": (404, 200, 404),
        "agent of E1 w/o scope": (403, 403, 403),
        "agent of E2": (404, 404, 404),
        "staff of dept": (200, 200, 404),
        "staff other dept": (404, 404, 404),
        "staff other region": (404, 404, 200),
        "supervisor of region": (200, 200, 404),
        "supervisor other region": (404, 404, 200),
        "system with scope": (200, 200, 200),
        "system w/o scope": (403, 403, 403),
    }
)
# Confirming a rectification's reply: the rater's side (the applicant holding evaluation.ratings.write).
CONFIRM = table(
    {
        **dict.fromkeys(CALLERS, (404, 404, 404)),
        "citizen owner": (200, 404, 200),
        "agent of E1": (404, 200, 404),
        "agent of E1 w/o scope": (403, 403, 403),
        "staff of dept": (403, 403, 403),
        "staff other dept": (403, 403, 403),
        "staff other region": (403, 403, 403),
        "supervisor of region": (403, 403, 403),
        "supervisor other region": (403, 403, 403),
        "system with scope": (403, 403, 403),
        "system w/o scope": (403, 403, 403),
    }
)
# Replying to a rectification: handling staff of the rated department in the region.
REPLY = table(
    {
        **dict.fromkeys(CALLERS, (403, 403, 403)),
        "staff of dept": (200, 200, 404),
        "staff other dept": (404, 404, 404),
        "staff other region": (404, 404, 200),
        "supervisor of region": (403, 403, 404),
        "supervisor other region": (404, 404, 403),
    }
)
REPLY_BODY = {"verification": "核实属实", "measures": "一次性告知", "reply": "已整改"}
EVAL_CASES = {
    "cit": {"applicant_subject": "cit-1", "applicant_kind": "citizen", "applicant_enterprise": None},
    "ent": {"applicant_subject": "agent-1", "applicant_kind": "enterprise", "applicant_enterprise": E1},
    "lz": {"applicant_subject": "cit-1", "applicant_kind": "citizen", "applicant_enterprise": None},
}
EVAL_PLACES = {"cit": (NN_MARKET, "450102"), "ent": (NN_MARKET, "450102"), "lz": (LZ_MARKET, "450202")}
OWNERS = {"cit": "citizen owner", "ent": "agent of E1", "lz": "citizen owner"}


@dataclass
class Evaluation:
    client: httpx.AsyncClient
    issuer: TestIssuer
    db: Any
    make_case: Callable[[str], Awaitable[str]]

    async def bad_rating(self, record: str) -> dict[str, Any]:
        """A fresh completed case of ``record``'s applicant and place, rated badly by its applicant."""
        case_id = await self.make_case(record)
        body = {"case_id": case_id, "level": 1, "reasons": ["slow"], "channel": "web"}
        resp = await self.client.post("/v1/ratings", json=body, headers=headers(self.issuer, OWNERS[record]))
        assert resp.status_code == 201, resp.text
        rating: dict[str, Any] = resp.json()
        return rating

    async def count(self, table: str, **where: str) -> int:
        clause = " AND ".join(f"{k} = :{k}" for k in where) or "true"
        async with self.db.transaction() as session:
            return int(await session.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {clause}"), where))


@pytest.fixture(scope="module")
async def evaluation(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Evaluation]:
    """svc-evaluation on PostgreSQL; completed cases are made on demand (as workflow.case.completed would)."""
    from evaluation.main import create_app
    from evaluation.models import EvaluatedCase
    from evaluation.settings import Settings

    async with fresh_pg_database(pg_admin_dsn) as url:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("evaluation"),
            database_url=url,
            environment="test",
            worker_enabled=False,
            log_json=False,
        )
        app = create_app(settings)
        issuer = TestIssuer()
        issuer.install(app)
        async with serve_lifespan(app) as client:
            db = app.state.runtime.db

            async def make_case(record: str) -> str:
                case_id = f"case-{uuid.uuid4().hex[:12]}"
                department, region = EVAL_PLACES[record]
                now = datetime.now(UTC)
                async with db.transaction() as session:
                    session.add(
                        EvaluatedCase(
                            case_id=case_id,
                            application_id=f"app-{case_id}",
                            tracking_number=f"GX{case_id[-8:]}",
                            item_code="ITEM-1",
                            item_name="食品经营许可",
                            region=region,
                            department=department,
                            handled_by=["someone-else"],
                            result="approved",
                            completed_at=now,
                            received_at=now,
                            **EVAL_CASES[record],
                        )
                    )
                return case_id

            yield Evaluation(client=client, issuer=issuer, db=db, make_case=make_case)


@pytest.mark.parametrize(("caller", "record", "expected"), RATE)
async def test_rating_a_case(evaluation: Evaluation, caller: str, record: str, expected: int) -> None:
    """Attack: rate a case that is not yours, rate without evaluation.ratings.write, or rate an enterprise's
    case with your own citizen token (the subject matches the agent who applied)."""
    case_id = await evaluation.make_case(record)
    body = {"case_id": case_id, "level": 1, "reasons": ["slow"], "channel": "web"}
    resp = await evaluation.client.post("/v1/ratings", json=body, headers=headers(evaluation.issuer, caller))
    assert resp.status_code == expected, resp.text
    assert await evaluation.count("rating", case_id=case_id) == (1 if expected == 201 else 0)


@pytest.mark.parametrize(("caller", "record", "expected"), RATING_READ)
async def test_reading_a_rating_and_its_rectification(
    evaluation: Evaluation, caller: str, record: str, expected: int
) -> None:
    """Attack: read someone else's rating and rectification, or beyond your grant or region."""
    rating = await evaluation.bad_rating(record)
    auth = headers(evaluation.issuer, caller)
    got = await evaluation.client.get(f"/v1/ratings/{rating['id']}", headers=auth)
    rect = await evaluation.client.get(f"/v1/rectifications/{rating['rectification_id']}", headers=auth)
    assert (got.status_code, rect.status_code) == (expected, expected), got.text


@pytest.mark.parametrize(("caller", "record", "expected"), CONFIRM)
async def test_confirming_a_rectification(evaluation: Evaluation, caller: str, record: str, expected: int) -> None:
    """Attack: accept the department's reply in the rater's name."""
    rating = await evaluation.bad_rating(record)
    rect = rating["rectification_id"]
    department_staff = "staff other region" if record == "lz" else "staff of dept"
    replied = await evaluation.client.post(
        f"/v1/rectifications/{rect}/reply", json=REPLY_BODY, headers=headers(evaluation.issuer, department_staff)
    )
    assert replied.status_code == 200, replied.text
    resp = await evaluation.client.post(
        f"/v1/rectifications/{rect}/confirm", json={"feedback": "ok"}, headers=headers(evaluation.issuer, caller)
    )
    assert resp.status_code == expected, resp.text
    status = "confirmed" if expected == 200 else "replied"
    assert await evaluation.count("rectification", id=rect, status=status) == 1


@pytest.mark.parametrize(("caller", "record", "expected"), REPLY)
async def test_replying_to_a_rectification(evaluation: Evaluation, caller: str, record: str, expected: int) -> None:
    """Attack: answer a rectification for a department or region that is not yours."""
    rating = await evaluation.bad_rating(record)
    rect = rating["rectification_id"]
    resp = await evaluation.client.post(
        f"/v1/rectifications/{rect}/reply", json=REPLY_BODY, headers=headers(evaluation.issuer, caller)
    )
    assert resp.status_code == expected, resp.text
    status = "replied" if expected == 200 else "open"
    assert await evaluation.count("rectification", id=rect, status=status) == 1
