"""Event contracts between the services (docs/events.md), producer → consumer.

Each payload is built with the PRODUCER's own pydantic model (the schema it publishes), dumped as JSON,
carried through the CloudEvents record encoding the bus uses, and handed to the CONSUMER's real handler
(or the parsing model that handler uses). The service calls behind a handler are replaced by recorders,
so the tests need no database: they check that the consumer accepts the event and keeps the fields it
relies on (ids, department code, region, applicant subject, case id, amounts...).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from application import consumers as app_consumers
from application import events as app_events
from catalog import events as catalog_events
from catalog.items.schemas import ItemDefinition
from catalog.items.service import implementation_code
from catalog.seed.loader import implementation_definition, item_definition, seed_document
from certificates import consumers as cert_consumers
from certificates import events as cert_events
from certificates.models import ItemLicense
from evaluation import consumers as eval_consumers
from evaluation import events as eval_events
from evaluation.models import EvaluatedCase, ServiceItem
from exchange import consumers as exchange_consumers
from exchange.models import CatalogChange, NationalRow
from gov_common.events import CloudEvent
from gov_standards.china_time import CHINA_TZ as CHINA
from payment import consumers as pay_consumers
from payment import events as pay_events
from workflow import consumers as wf_consumers
from workflow import events as wf_events
from workflow.models import ItemVersion

NOW = datetime(2026, 3, 16, 9, 30, 12, tzinfo=CHINA)
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


# --- transport and fakes -------------------------------------------------------------------------


def deliver(event_type: str, source: str, subject: str, data: dict[str, Any]) -> CloudEvent:
    """The event as the consumer receives it: encoded to a Kafka record and decoded again."""
    sent = CloudEvent(type=event_type, source=source, subject=subject, data=data, time=NOW)
    _key, value, headers = sent.to_record()
    return CloudEvent.from_record(value, headers)


class FakeSession:
    """Just enough of an AsyncSession for handlers that look a row up and add a new one."""

    def __init__(self) -> None:
        self.added: list[Any] = []

    async def get(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    async def scalar(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def add(self, obj: Any) -> None:
        self.added.append(obj)

    async def flush(self) -> None:
        return None

    def one(self, kind: type) -> Any:
        rows = [o for o in self.added if isinstance(o, kind)]
        assert len(rows) == 1, f"expected one {kind.__name__}, got {rows}"
        return rows[0]


class Recorder:
    """An async stand-in for a service function: records its keyword arguments, returns ``result``."""

    def __init__(self, result: Any = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.args: list[tuple[Any, ...]] = []
        self.result = result

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.args.append(args)
        self.calls.append(kwargs)
        return self.result

    @property
    def last(self) -> dict[str, Any]:
        assert self.calls, "the handler did not call the service"
        return self.calls[-1]


CLOCK = SimpleNamespace(now=lambda: NOW)


# --- seeded catalog items ------------------------------------------------------------------------


def _seed_raw(basic_code: str) -> dict[str, Any]:
    return next(i for i in seed_document()["items"] if i["basic_code"] == basic_code)


def basic_item(basic_code: str) -> ItemDefinition:
    return ItemDefinition.model_validate(item_definition(_seed_raw(basic_code), seed_document()))


def nanning_company_registration() -> tuple[ItemDefinition, str]:
    """(definition, inherited implementation code) of Nanning's 内资有限公司设立登记 (issues 营业执照)."""
    doc = seed_document()
    raw = next(r for r in doc["implementations"] if r["inherits"] == "000112001000" and r["region"] == "450100")
    basic, data = implementation_definition(raw, doc)
    return ItemDefinition.model_validate(data), implementation_code(basic_item(basic))


COMPANY_ITEM, COMPANY_INHERITS = nanning_company_registration()
PASSPORT_ITEM = basic_item("000104005000")  # 普通护照签发: province police, a fixed fee of 12000 fen


# --- the facts one case carries through every service --------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    item: ItemDefinition
    applicant_kind: str
    applicant_subject: str
    enterprise: str | None
    agent: str | None
    name_masked: str
    id_tail: str
    form: dict[str, Any]
    application_id: str
    case_id: str
    order_id: str
    license_id: str

    @property
    def item_code(self) -> str:
        return implementation_code(self.item)

    @property
    def tracking_number(self) -> str:
        return f"{self.item.region}20260316000123"

    @property
    def department_code(self) -> str:
        return self.item.department.code


ENTERPRISE_AGENT = str(uuid.uuid4())
COMPANY_CASE = CaseFacts(
    item=COMPANY_ITEM,
    applicant_kind="enterprise",
    applicant_subject=ENTERPRISE_AGENT,
    enterprise="91450100MA5P8K2X7C",
    agent=ENTERPRISE_AGENT,
    name_masked="南宁市青秀区绿洲商贸有限公司",
    id_tail="2X7C",
    form={
        "enterprise_name": "南宁市青秀区绿洲商贸有限公司",
        "business_address": "南宁市青秀区民族大道136号华润大厦A座1201",
        "registered_capital_fen": 100_000_000,
        "business_scope": "日用百货、办公用品销售",
        "legal_representative": "黄志强",
        "phone": "0771-5512345",
        "employee_count": 12,
    },
    application_id=str(uuid.uuid4()),
    case_id=str(uuid.uuid4()),
    order_id=str(uuid.uuid4()),
    license_id=str(uuid.uuid4()),
)
PASSPORT_CASE = CaseFacts(
    item=PASSPORT_ITEM,
    applicant_kind="citizen",
    applicant_subject=str(uuid.uuid4()),
    enterprise=None,
    agent=None,
    name_masked="李*",
    id_tail="002X",
    form={"applicant_name": "李秀英", "phone": "13807712345", "travel_reason": "旅游"},
    application_id=str(uuid.uuid4()),
    case_id=str(uuid.uuid4()),
    order_id=str(uuid.uuid4()),
    license_id=str(uuid.uuid4()),
)
CASES = {"enterprise-company": COMPANY_CASE, "citizen-passport": PASSPORT_CASE}
ACCEPTOR, REVIEWER, APPROVER = (str(uuid.uuid4()) for _ in range(3))


# --- producer: svc-catalog -----------------------------------------------------------------------


def catalog_item_published(item: ItemDefinition, *, version: int = 2, inherits: str | None = None) -> dict[str, Any]:
    return catalog_events.ItemPublished(
        implementation_code=implementation_code(item),
        version=version,
        inherits=inherits,
        online_level=item.online_level,
        fully_online=item.fully_online,
        published_at=NOW,
        definition=item,
    ).model_dump(mode="json")


def catalog_item_withdrawn(item: ItemDefinition, *, version: int = 2) -> dict[str, Any]:
    return catalog_events.ItemWithdrawn(
        implementation_code=implementation_code(item), version=version, region=item.region, withdrawn_at=NOW
    ).model_dump(mode="json")


PUBLISHED_ITEMS = {
    "nanning-company-registration": (COMPANY_ITEM, COMPANY_INHERITS),
    "province-passport": (PASSPORT_ITEM, None),
}


# --- producer: svc-application -------------------------------------------------------------------


def application_submitted(facts: CaseFacts, *, channel: str = "online", **applicant_overrides: Any) -> dict[str, Any]:
    """``applicant_overrides`` replace applicant fields, e.g. ``subject=None`` for a hall case without account."""
    applicant = {
        "subject": facts.applicant_subject,
        "kind": facts.applicant_kind,
        "enterprise": facts.enterprise,
        "agent": facts.agent,
        "name_masked": facts.name_masked,
        "id_tail": facts.id_tail,
        **applicant_overrides,
    }
    item = facts.item
    materials = [
        app_events.MaterialRef(
            name=m.name,
            source="license" if m.license_type else "upload",
            sha256=None if m.license_type else SHA,
            license_id=str(uuid.uuid4()) if m.license_type else None,
            license_type=m.license_type,
            verified=bool(m.license_type),
        )
        for m in item.materials
    ]
    return app_events.ApplicationSubmitted(
        application_id=facts.application_id,
        tracking_number=facts.tracking_number,
        submitted_at=NOW,
        channel=channel,
        item=app_events.ItemRef(implementation_code=facts.item_code, version=2, name=item.name),
        bundle_code=None,
        region=item.region,
        department=app_events.DepartmentRef(code=item.department.code, name=item.department.name),
        applicant=app_events.Applicant(**applicant),
        form=facts.form,
        materials=materials,
    ).model_dump(mode="json")


def application_supplemented(facts: CaseFacts) -> dict[str, Any]:
    return app_events.ApplicationSupplemented(
        application_id=facts.application_id,
        tracking_number=facts.tracking_number,
        case_id=facts.case_id,
        supplemented_at=NOW,
        materials=[
            app_events.MaterialRef(
                name=facts.item.materials[-1].name,
                source="upload",
                sha256=SHA,
                license_id=None,
                license_type=None,
                verified=False,
            )
        ],
        form={**facts.form, "phone": "13977100000"},
    ).model_dump(mode="json")


def application_withdrawn(facts: CaseFacts) -> dict[str, Any]:
    return app_events.ApplicationWithdrawn(
        application_id=facts.application_id,
        tracking_number=facts.tracking_number,
        case_id=facts.case_id,
        withdrawn_at=NOW,
        reason="申请人已在其他地区办理",
    ).model_dump(mode="json")


# --- producer: svc-workflow ----------------------------------------------------------------------


def _case_common(facts: CaseFacts) -> dict[str, Any]:
    return {
        "case_id": facts.case_id,
        "application_id": facts.application_id,
        "tracking_number": facts.tracking_number,
        "item_code": facts.item_code,
        "item_name": facts.item.name,
        "region": facts.item.region,
        "department": facts.department_code,
        "applicant": wf_events.Applicant(
            subject=facts.applicant_subject, kind=facts.applicant_kind, enterprise=facts.enterprise
        ),
        "occurred_at": NOW,
    }


def _holder(facts: CaseFacts) -> wf_events.Holder:
    id_type = "credit_code" if facts.applicant_kind == "enterprise" else "citizen_id"
    return wf_events.Holder(id_type=id_type, id_hash=None, name=facts.name_masked)


CASE_BUILDERS: dict[str, Callable[[CaseFacts], Any]] = {
    wf_events.ACCEPTED: lambda f: wf_events.CaseAccepted(
        **_case_common(f), accepted_by=ACCEPTOR, deadline=date(2026, 3, 25)
    ),
    wf_events.REFUSED: lambda f: wf_events.CaseRefused(**_case_common(f), reason="不属于本机关职权范围"),
    wf_events.SUPPLEMENT_REQUESTED: lambda f: wf_events.SupplementRequested(
        **_case_common(f),
        missing=[wf_events.MissingMaterial(material=f.item.materials[-1].name, reason="材料不清晰，请重新上传")],
        note="请在30日内补正",
    ),
    wf_events.APPROVED: lambda f: wf_events.CaseApproved(
        **_case_common(f),
        decided_by=APPROVER,
        opinion="材料齐全，符合法定形式，准予许可",
        decided_at=NOW,
        result_license_type=f.item.result_license_type,
        license_fields={"item_name": f.item.name, "tracking_number": f.tracking_number, **f.form},
        holder=_holder(f),
    ),
    wf_events.REJECTED: lambda f: wf_events.CaseRejected(
        **_case_common(f),
        reason="申请事项不符合法定条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第二款",
        decided_by=APPROVER,
    ),
    wf_events.COMPLETED: lambda f: wf_events.CaseCompleted(
        **_case_common(f), completed_at=NOW, result="approved", handled_by=sorted([ACCEPTOR, REVIEWER, APPROVER])
    ),
    wf_events.WITHDRAWN: lambda f: wf_events.CaseWithdrawn(**_case_common(f), reason="申请人撤回申请"),
}
STATUS_EVENTS = list(CASE_BUILDERS)


def workflow_case_event(event_type: str, facts: CaseFacts) -> dict[str, Any]:
    return CASE_BUILDERS[event_type](facts).model_dump(mode="json")


def workflow_fee_requested(facts: CaseFacts) -> dict[str, Any]:
    return wf_events.FeeRequested(
        case_id=facts.case_id,
        application_id=facts.application_id,
        tracking_number=facts.tracking_number,
        item_code=facts.item_code,
        applicant=wf_events.FeeApplicant(subject=facts.applicant_subject, kind=facts.applicant_kind),
        department=facts.department_code,
        region=facts.item.region,
        lines=[
            wf_events.FeeLine(
                code=f"fee-{i + 1}", name=fee.name, amount_fen=fee.amount_fen, legal_basis=fee.legal_basis
            )
            for i, fee in enumerate(facts.item.fees)
            if fee.amount_fen
        ],
    ).model_dump(mode="json")


def workflow_sla(facts: CaseFacts) -> dict[str, Any]:
    return wf_events.SlaEvent(
        case_id=facts.case_id,
        tracking_number=facts.tracking_number,
        department=facts.department_code,
        region=facts.item.region,
        deadline=date(2026, 3, 25),
        stage="reviewing",
    ).model_dump(mode="json")


# --- producer: svc-payment -----------------------------------------------------------------------


def payment_order_paid(facts: CaseFacts) -> dict[str, Any]:
    return pay_events.OrderPaid(
        order_id=facts.order_id,
        case_id=facts.case_id,
        application_id=facts.application_id,
        tracking_number=facts.tracking_number,
        department=facts.department_code,
        region=facts.item.region,
        amount_fen=sum(f.amount_fen or 0 for f in facts.item.fees),
        channel="unionpay",
        channel_trade_no="UP20260316093012000451",
        paid_at=NOW,
        receipt_no="GX-PJ-2026-0000318",
    ).model_dump(mode="json")


# --- producer: svc-certificates ------------------------------------------------------------------


def license_issued(facts: CaseFacts) -> dict[str, Any]:
    return cert_events.LicenseIssued(
        license_id=facts.license_id,
        identifier="1.2.156.3005.2.11100000000013127D001.11450100MBQH0Y21QM.450100202603160001.001.K",
        type_code="11100000000013127D001",
        type_name=facts.item.result_license_type or "营业执照",
        holder=cert_events.EventHolder(subject=None, name_masked="南*"),
        issuer=cert_events.EventIssuer(code=facts.department_code, name=facts.item.department.name),
        region=facts.item.region,
        valid_from=date(2026, 3, 16),
        valid_until=None,
        case_id=facts.case_id,
        version=1,
    ).model_dump(mode="json")


def license_revoked(facts: CaseFacts) -> dict[str, Any]:
    return cert_events.LicenseRevoked(
        license_id=facts.license_id, reason="依申请注销", revoked_at=NOW, region=facts.item.region
    ).model_dump(mode="json")


# --- producer: svc-evaluation --------------------------------------------------------------------


def rating_submitted(facts: CaseFacts) -> dict[str, Any]:
    return eval_events.RatingSubmitted(
        rating_id=str(uuid.uuid4()),
        case_id=facts.case_id,
        level=2,
        channel="mobile",
        department=facts.department_code,
        region=facts.item.region,
        item_code=facts.item_code,
        rated_at=NOW,
    ).model_dump(mode="json")


def rectification_overdue(facts: CaseFacts) -> dict[str, Any]:
    return eval_events.RectificationOverdue(
        rectification_id=str(uuid.uuid4()),
        rating_id=str(uuid.uuid4()),
        department=facts.department_code,
        due=date(2026, 3, 23),
    ).model_dump(mode="json")


# =================================================================================================
# catalog.item.published / withdrawn → application, workflow, certificates, evaluation, exchange
# =================================================================================================


@pytest.mark.parametrize("name", PUBLISHED_ITEMS)
async def test_item_published_to_application(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    item, inherits = PUBLISHED_ITEMS[name]
    upsert = Recorder()
    monkeypatch.setattr(app_consumers.service, "upsert_item", upsert)
    event = deliver(
        catalog_events.ITEM_PUBLISHED,
        catalog_events.SOURCE,
        implementation_code(item),
        catalog_item_published(item, inherits=inherits),
    )

    await app_consumers.on_catalog_item(FakeSession(), event)

    view = upsert.args[-1][1]
    assert isinstance(view, app_events.ItemPublishedView)
    assert (view.implementation_code, view.version) == (implementation_code(item), 2)
    d = view.definition
    assert (d.name, d.region, d.service_object) == (item.name, item.region, item.service_object)
    assert (d.department.code, d.department.name) == (item.department.code, item.department.name)
    assert [m.name for m in d.materials] == [m.name for m in item.materials]
    assert [m.license_type for m in d.materials] == [m.license_type for m in item.materials]
    assert [f.get("amount_fen") for f in d.fees] == [f.amount_fen for f in item.fees]
    assert d.form_schema == item.form_schema
    assert d.delivery == list(item.delivery)


@pytest.mark.parametrize("name", PUBLISHED_ITEMS)
async def test_item_published_to_workflow(name: str) -> None:
    item, inherits = PUBLISHED_ITEMS[name]
    session = FakeSession()
    event = deliver(
        catalog_events.ITEM_PUBLISHED,
        catalog_events.SOURCE,
        implementation_code(item),
        catalog_item_published(item, inherits=inherits),
    )

    await wf_consumers.catalog_handler()(session, event)  # reads the raw dict: service.keep_item

    kept = session.one(ItemVersion)
    assert (kept.implementation_code, kept.version) == (implementation_code(item), 2)
    assert (kept.name, kept.region) == (item.name, item.region)
    assert (kept.department_code, kept.department_name) == (item.department.code, item.department.name)
    assert (kept.promised_days, kept.statutory_days) == (item.time_limit.promised_days, item.time_limit.statutory_days)
    assert [s["kind"] for s in kept.process["steps"]] == [s.kind for s in item.process.steps]
    assert [f.get("amount_fen") for f in kept.fees] == [f.amount_fen for f in item.fees]
    assert kept.result_license_type == item.result_license_type
    assert kept.published_at == NOW


@pytest.mark.parametrize("name", PUBLISHED_ITEMS)
async def test_item_published_to_certificates(name: str) -> None:
    item, inherits = PUBLISHED_ITEMS[name]
    session = FakeSession()
    event = deliver(
        catalog_events.ITEM_PUBLISHED,
        catalog_events.SOURCE,
        implementation_code(item),
        catalog_item_published(item, inherits=inherits),
    )

    await cert_consumers.on_item_published(session, event)  # parses with ItemPublishedIn

    kept = session.one(ItemLicense)
    assert (kept.implementation_code, kept.version, kept.item_name) == (implementation_code(item), 2, item.name)
    assert (kept.department_code, kept.department_name) == (item.department.code, item.department.name)
    assert kept.license_type_name == item.result_license_type


@pytest.mark.parametrize("name", PUBLISHED_ITEMS)
async def test_item_published_to_evaluation(name: str) -> None:
    item, inherits = PUBLISHED_ITEMS[name]
    session = FakeSession()
    event = deliver(
        catalog_events.ITEM_PUBLISHED,
        catalog_events.SOURCE,
        implementation_code(item),
        catalog_item_published(item, inherits=inherits),
    )

    await eval_consumers.on_item_event(session, event)  # parses with evaluation.events.ItemPublished

    kept = session.one(ServiceItem)
    assert (kept.implementation_code, kept.version, kept.withdrawn) == (implementation_code(item), 2, False)
    assert (kept.basic_code, kept.name, kept.region) == (item.basic_code, item.name, item.region)
    assert (kept.department, kept.department_name) == (item.department.code, item.department.name)


@pytest.mark.parametrize("name", PUBLISHED_ITEMS)
async def test_item_published_to_exchange(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    item, inherits = PUBLISHED_ITEMS[name]
    fan_out = Recorder(0)
    monkeypatch.setattr(exchange_consumers, "fan_out", fan_out)
    session = FakeSession()
    event = deliver(
        catalog_events.ITEM_PUBLISHED,
        catalog_events.SOURCE,
        implementation_code(item),
        catalog_item_published(item, inherits=inherits),
    )

    await exchange_consumers.on_catalog(session, event)  # reads the raw dict

    change = session.one(CatalogChange)
    assert (change.implementation_code, change.version, change.operation) == (implementation_code(item), 2, "published")
    assert change.region == item.region
    assert change.changed_at == NOW
    assert change.item["inherits"] == inherits
    assert change.item["online_level"] == item.online_level
    assert change.item["definition"]["department"]["code"] == item.department.code
    assert "process" not in change.item["definition"]
    row = session.one(NationalRow)
    assert (row.dataset, row.operation) == ("item", "update")
    assert fan_out.args[-1][1] is event


async def test_item_withdrawn_to_application_evaluation_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    item, code = COMPANY_ITEM, implementation_code(COMPANY_ITEM)
    event = deliver(catalog_events.ITEM_WITHDRAWN, catalog_events.SOURCE, code, catalog_item_withdrawn(item))

    withdraw = Recorder()
    monkeypatch.setattr(app_consumers.service, "withdraw_item", withdraw)
    await app_consumers.on_catalog_item(FakeSession(), event)
    view = withdraw.args[-1][1]
    assert isinstance(view, app_events.ItemWithdrawnView)
    assert (view.implementation_code, view.version) == (code, 2)

    parsed = eval_events.ItemWithdrawn.model_validate(event.data)  # what on_item_event uses
    assert (parsed.implementation_code, parsed.version) == (code, 2)

    monkeypatch.setattr(exchange_consumers, "fan_out", Recorder(0))
    session = FakeSession()
    await exchange_consumers.on_catalog(session, event)
    change = session.one(CatalogChange)
    assert (change.implementation_code, change.region, change.operation) == (code, item.region, "withdrawn")
    assert session.one(NationalRow).operation == "delete"


# =================================================================================================
# application.* → workflow
# =================================================================================================


@pytest.fixture
def workflow_services(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The case service functions the workflow's application and payment handlers call, as recorders."""
    rec = SimpleNamespace(
        open_case=Recorder(SimpleNamespace(id=uuid.uuid4())),
        on_supplemented=Recorder(),
        on_withdrawn=Recorder(),
        on_paid=Recorder(),
    )
    monkeypatch.setattr(wf_consumers, "load_calendar", Recorder(None))
    for name in ("open_case", "on_supplemented", "on_withdrawn", "on_paid"):
        monkeypatch.setattr(wf_consumers.service, name, getattr(rec, name))
    return rec


SUBMISSIONS = {
    "online-enterprise-by-agent": (COMPANY_CASE, {"channel": "online"}),
    "online-citizen": (PASSPORT_CASE, {"channel": "online"}),
    "hall-citizen-with-account": (PASSPORT_CASE, {"channel": "hall", "agent": None}),
    # application.events.Applicant.subject: "null for a hall case of a person without an account"
    "hall-citizen-without-account": (PASSPORT_CASE, {"channel": "hall", "subject": None, "agent": None}),
    "hall-enterprise-without-account": (COMPANY_CASE, {"channel": "hall", "subject": None, "agent": None}),
}


@pytest.mark.parametrize("name", SUBMISSIONS)
async def test_application_submitted_to_workflow(name: str, workflow_services: SimpleNamespace) -> None:
    facts, variant = SUBMISSIONS[name]
    data = application_submitted(facts, **variant)
    event = deliver(app_events.SUBMITTED, app_events.SOURCE, facts.application_id, data)

    await wf_consumers.applications_handler(CLOCK)(FakeSession(), event)  # _parse(events.ApplicationSubmitted)

    submitted = workflow_services.open_case.last["submitted"]
    assert isinstance(submitted, wf_events.ApplicationSubmitted)
    assert (submitted.application_id, submitted.tracking_number) == (facts.application_id, facts.tracking_number)
    assert submitted.submitted_at == NOW
    assert submitted.channel == variant["channel"]
    assert (submitted.item.implementation_code, submitted.item.version) == (facts.item_code, 2)
    assert submitted.region == facts.item.region
    assert (submitted.department.code, submitted.department.name) == (
        facts.department_code,
        facts.item.department.name,
    )
    assert submitted.applicant.subject == data["applicant"]["subject"]
    assert (submitted.applicant.kind, submitted.applicant.enterprise) == (facts.applicant_kind, facts.enterprise)
    assert (submitted.applicant.name_masked, submitted.applicant.id_tail) == (facts.name_masked, facts.id_tail)
    assert submitted.form == facts.form
    assert [(m.name, m.source, m.license_type, m.verified) for m in submitted.materials] == [
        (m["name"], m["source"], m["license_type"], m["verified"]) for m in data["materials"]
    ]


@pytest.mark.parametrize("facts", CASES.values(), ids=CASES)
async def test_application_supplemented_to_workflow(facts: CaseFacts, workflow_services: SimpleNamespace) -> None:
    data = application_supplemented(facts)
    event = deliver(app_events.SUPPLEMENTED, app_events.SOURCE, facts.application_id, data)

    await wf_consumers.applications_handler(CLOCK)(FakeSession(), event)

    got = workflow_services.on_supplemented.last["supplemented"]
    assert isinstance(got, wf_events.ApplicationSupplemented)
    assert (got.application_id, got.tracking_number, got.case_id) == (
        facts.application_id,
        facts.tracking_number,
        facts.case_id,
    )
    assert got.supplemented_at == NOW
    assert [(m.name, m.sha256) for m in got.materials] == [(m["name"], m["sha256"]) for m in data["materials"]]
    assert got.form == data["form"]


@pytest.mark.parametrize("facts", CASES.values(), ids=CASES)
async def test_application_withdrawn_to_workflow(facts: CaseFacts, workflow_services: SimpleNamespace) -> None:
    event = deliver(app_events.WITHDRAWN, app_events.SOURCE, facts.application_id, application_withdrawn(facts))

    await wf_consumers.applications_handler(CLOCK)(FakeSession(), event)

    got = workflow_services.on_withdrawn.last["withdrawn"]
    assert isinstance(got, wf_events.ApplicationWithdrawn)
    assert (got.application_id, got.tracking_number, got.case_id) == (
        facts.application_id,
        facts.tracking_number,
        facts.case_id,
    )
    assert (got.withdrawn_at, got.reason) == (NOW, "申请人已在其他地区办理")


# =================================================================================================
# payment.order.paid → workflow
# =================================================================================================


async def test_order_paid_to_workflow(workflow_services: SimpleNamespace) -> None:
    facts = PASSPORT_CASE
    event = deliver(pay_events.ORDER_PAID, pay_events.SOURCE, facts.order_id, payment_order_paid(facts))

    await wf_consumers.payments_handler(CLOCK)(FakeSession(), event)  # _parse(events.OrderPaid)

    paid = workflow_services.on_paid.last["paid"]
    assert isinstance(paid, wf_events.OrderPaid)
    assert (paid.order_id, paid.case_id, paid.amount_fen, paid.paid_at) == (facts.order_id, facts.case_id, 12000, NOW)


# =================================================================================================
# workflow.case.* → application, payment, certificates, evaluation, exchange
# =================================================================================================


@pytest.mark.parametrize("facts", CASES.values(), ids=CASES)
@pytest.mark.parametrize("event_type", STATUS_EVENTS)
async def test_case_events_to_application(event_type: str, facts: CaseFacts, monkeypatch: pytest.MonkeyPatch) -> None:
    apply = Recorder(True)
    monkeypatch.setattr(app_consumers.service, "apply_case_event", apply)
    data = workflow_case_event(event_type, facts)
    event = deliver(event_type, wf_events.SOURCE, facts.case_id, data)

    await app_consumers.on_case_event(FakeSession(), event)  # parses with application.events.CaseEvent

    assert apply.last["event_type"] == event_type
    case = apply.last["case"]
    assert isinstance(case, app_events.CaseEvent)
    assert (case.case_id, case.application_id, case.tracking_number) == (
        facts.case_id,
        facts.application_id,
        facts.tracking_number,
    )
    assert uuid.UUID(case.application_id)  # apply_case_event looks the application up by UUID
    assert case.occurred_at == NOW
    expected = {
        k: data[k]
        for k in ("missing", "note", "reason", "legal_basis", "deadline", "opinion", "result", "result_license_type")
        if k in data
    }
    assert {k: getattr(case, k) for k in expected} == expected
    if event_type == wf_events.ACCEPTED:
        assert case.deadline == "2026-03-25"
    if event_type == wf_events.SUPPLEMENT_REQUESTED:
        assert case.missing == [{"material": facts.item.materials[-1].name, "reason": "材料不清晰，请重新上传"}]


async def test_other_case_events_are_ignored_by_application(monkeypatch: pytest.MonkeyPatch) -> None:
    apply = Recorder(True)
    monkeypatch.setattr(app_consumers.service, "apply_case_event", apply)
    facts = PASSPORT_CASE
    for event_type, data in (
        (wf_events.FEE_REQUESTED, workflow_fee_requested(facts)),
        (wf_events.SLA_WARNING, workflow_sla(facts)),
        (wf_events.SLA_OVERDUE, workflow_sla(facts)),
    ):
        await app_consumers.on_case_event(FakeSession(), deliver(event_type, wf_events.SOURCE, facts.case_id, data))
    assert apply.calls == []


async def test_fee_requested_to_payment(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = PASSPORT_CASE
    create = Recorder((SimpleNamespace(id=facts.order_id), True))
    monkeypatch.setattr(pay_consumers.service, "create_order", create)
    event = deliver(wf_events.FEE_REQUESTED, wf_events.SOURCE, facts.case_id, workflow_fee_requested(facts))

    await pay_consumers.fee_requested_handler(ttl_seconds=900)(FakeSession(), event)  # payment FeeRequested

    request = create.last["request"]
    assert isinstance(request, pay_events.FeeRequested)
    assert (request.case_id, request.application_id, request.tracking_number, request.item_code) == (
        facts.case_id,
        facts.application_id,
        facts.tracking_number,
        facts.item_code,
    )
    assert (request.applicant.subject, request.applicant.kind) == (facts.applicant_subject, "citizen")
    assert (request.department, request.region) == (facts.department_code, "450000")
    assert [(line.code, line.name, line.amount_fen) for line in request.lines] == [("fee-1", "普通护照工本费", 12000)]
    assert request.lines[0].legal_basis == facts.item.fees[0].legal_basis
    assert create.last["source"] == f"event:{event.id}"


async def test_payment_ignores_the_other_case_events(monkeypatch: pytest.MonkeyPatch) -> None:
    create = Recorder()
    monkeypatch.setattr(pay_consumers.service, "create_order", create)
    handler = pay_consumers.fee_requested_handler(ttl_seconds=900)
    for event_type in STATUS_EVENTS:
        data = workflow_case_event(event_type, PASSPORT_CASE)
        await handler(FakeSession(), deliver(event_type, wf_events.SOURCE, PASSPORT_CASE.case_id, data))
    assert create.calls == []


@dataclass
class FakeIdentity:
    """certificates' IdentityClient: resolves a citizen holder from the applicant's subject."""

    asked: list[str]

    async def holder(self, subject: str) -> Any:
        self.asked.append(subject)
        return SimpleNamespace(id_type="citizen_id", id_number="450103199003150021", name="李秀英")


@pytest.mark.parametrize("facts", CASES.values(), ids=CASES)
async def test_case_approved_to_certificates(facts: CaseFacts, monkeypatch: pytest.MonkeyPatch) -> None:
    # the type takes its fields out of the case's offer, here the tracking number under its own field name
    number = {"name": "case_number", "label": "办件编号", "required": True, "sources": ["tracking_number"]}
    license_type = SimpleNamespace(name="营业执照", fields=[number])
    type_by_name, issue = Recorder(license_type), Recorder(SimpleNamespace(id=uuid.uuid4()))
    monkeypatch.setattr(cert_consumers.service, "type_by_name", type_by_name)
    monkeypatch.setattr(cert_consumers.service, "issue", issue)
    # the citizen's item (passport) names no license type of its own: give one so that issuing runs
    facts = facts if facts.item.result_license_type else _with_license_type(facts, "出入境证件")
    identity = FakeIdentity(asked=[])
    data = workflow_case_event(wf_events.APPROVED, facts)
    event = deliver(wf_events.APPROVED, wf_events.SOURCE, facts.case_id, data)

    await cert_consumers.on_case_approved(FakeSession(), event, SimpleNamespace(identity=identity))

    parsed = cert_consumers.CaseApprovedIn.model_validate(event.data)
    assert (parsed.case_id, parsed.item_code, parsed.department) == (
        facts.case_id,
        facts.item_code,
        facts.department_code,
    )
    assert type_by_name.args[-1][1] == facts.item.result_license_type
    req = issue.args[-1][2]
    assert req.case_id == facts.case_id
    assert req.issuer_code == facts.department_code
    assert data["license_fields"]["tracking_number"] == facts.tracking_number
    assert req.fields == {"case_number": facts.tracking_number}
    if facts.applicant_kind == "enterprise":
        assert (req.holder.id_type, req.holder.id_number, req.holder.name) == (
            "credit_code",
            facts.enterprise,
            facts.name_masked,
        )
        assert req.holder_subject is None and identity.asked == []
    else:
        assert (req.holder.id_type, req.holder.name) == ("citizen_id", "李秀英")
        assert req.holder_subject == facts.applicant_subject
        assert identity.asked == [facts.applicant_subject]


def _with_license_type(facts: CaseFacts, type_name: str) -> CaseFacts:
    item = facts.item.model_copy(update={"result_license_type": type_name})
    return CaseFacts(**{**facts.__dict__, "item": item})


@pytest.mark.parametrize("result", ["approved", "rejected"])
@pytest.mark.parametrize("facts", CASES.values(), ids=CASES)
async def test_case_completed_to_evaluation(facts: CaseFacts, result: str) -> None:
    model = CASE_BUILDERS[wf_events.COMPLETED](facts).model_copy(update={"result": result})
    data = wf_events.CaseCompleted.model_validate(model.model_dump()).model_dump(mode="json")
    session = FakeSession()

    await eval_consumers.on_case_event(session, deliver(wf_events.COMPLETED, wf_events.SOURCE, facts.case_id, data))

    case = session.one(EvaluatedCase)
    assert (case.case_id, case.application_id, case.tracking_number) == (
        facts.case_id,
        facts.application_id,
        facts.tracking_number,
    )
    assert (case.item_code, case.item_name) == (facts.item_code, facts.item.name)
    assert (case.region, case.department) == (facts.item.region, facts.department_code)
    assert (case.applicant_subject, case.applicant_kind, case.applicant_enterprise) == (
        facts.applicant_subject,
        facts.applicant_kind,
        facts.enterprise,
    )
    assert case.handled_by == sorted([ACCEPTOR, REVIEWER, APPROVER])
    assert (case.result, case.completed_at) == (result, NOW)


async def test_evaluation_ignores_the_other_case_events() -> None:
    session = FakeSession()
    for event_type in [t for t in STATUS_EVENTS if t != wf_events.COMPLETED]:
        data = workflow_case_event(event_type, COMPANY_CASE)
        await eval_consumers.on_case_event(session, deliver(event_type, wf_events.SOURCE, COMPANY_CASE.case_id, data))
    assert session.added == []


@pytest.fixture
def exchange_services(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    rec = SimpleNamespace(upsert_case=Recorder("created"), fan_out=Recorder(0))
    monkeypatch.setattr(exchange_consumers, "upsert_case", rec.upsert_case)
    monkeypatch.setattr(exchange_consumers, "fan_out", rec.fan_out)
    return rec


NATIONAL_DATASET = {
    wf_events.ACCEPTED: "case_accept",
    wf_events.COMPLETED: "case_result",
    wf_events.REJECTED: "case_result",
}


@pytest.mark.parametrize("facts", CASES.values(), ids=CASES)
@pytest.mark.parametrize("event_type", STATUS_EVENTS)
async def test_case_events_to_exchange(event_type: str, facts: CaseFacts, exchange_services: SimpleNamespace) -> None:
    data = workflow_case_event(event_type, facts)
    session = FakeSession()
    event = deliver(event_type, wf_events.SOURCE, facts.case_id, data)

    await exchange_consumers.on_case(session, event)  # reads the raw dict

    status = event_type.rsplit(".", 1)[1]
    call = exchange_services.upsert_case.last
    assert (call["source"], call["origin"], call["external_id"]) == ("province", None, facts.case_id)
    assert call["fields"] == {
        "tracking_number": facts.tracking_number,
        "item_code": facts.item_code,
        "item_name": facts.item.name,
        "region": facts.item.region,
        "department": facts.department_code,
        "status": status,
        "status_at": NOW,
        "received_at": NOW,
    }
    row = session.one(NationalRow)
    assert row.dataset == NATIONAL_DATASET.get(event_type, "case_process")
    assert "applicant" not in row.record and row.record["status"] == status
    assert row.record["case_id"] == facts.case_id
    assert exchange_services.fan_out.args[-1][1] is event


async def test_exchange_ignores_fee_and_sla_events(exchange_services: SimpleNamespace) -> None:
    session = FakeSession()
    facts = PASSPORT_CASE
    for event_type, data in (
        (wf_events.FEE_REQUESTED, workflow_fee_requested(facts)),
        (wf_events.SLA_WARNING, workflow_sla(facts)),
        (wf_events.SLA_OVERDUE, workflow_sla(facts)),
    ):
        await exchange_consumers.on_case(session, deliver(event_type, wf_events.SOURCE, facts.case_id, data))
    assert exchange_services.upsert_case.calls == [] and session.added == []


# =================================================================================================
# certificates.license.* and evaluation.* → exchange
# =================================================================================================


async def test_license_issued_to_exchange(exchange_services: SimpleNamespace) -> None:
    facts = COMPANY_CASE
    data = license_issued(facts)
    session = FakeSession()
    event = deliver(cert_events.LICENSE_ISSUED, cert_events.SOURCE, facts.license_id, data)

    await exchange_consumers.on_license(session, event)

    row = session.one(NationalRow)
    assert (row.dataset, row.operation) == ("license", "insert")
    assert "holder" not in row.record and row.record["holder_name_masked"] == "南*"
    assert (row.record["license_id"], row.record["case_id"]) == (facts.license_id, facts.case_id)
    assert row.record["issuer"] == {"code": facts.department_code, "name": facts.item.department.name}
    assert row.record["identifier"] == data["identifier"] and row.record["valid_until"] is None
    assert exchange_services.fan_out.args[-1][1] is event


async def test_license_revoked_to_exchange(exchange_services: SimpleNamespace) -> None:
    facts = COMPANY_CASE
    session = FakeSession()
    event = deliver(cert_events.LICENSE_REVOKED, cert_events.SOURCE, facts.license_id, license_revoked(facts))

    await exchange_consumers.on_license(session, event)

    row = session.one(NationalRow)
    assert (row.dataset, row.operation) == ("license", "delete")
    assert row.record == license_revoked(facts)


async def test_rating_submitted_to_exchange(exchange_services: SimpleNamespace) -> None:
    facts = COMPANY_CASE
    data = rating_submitted(facts)
    session = FakeSession()
    event = deliver(eval_events.RATING_SUBMITTED, eval_events.SOURCE, data["rating_id"], data)

    await exchange_consumers.on_rating(session, event)

    row = session.one(NationalRow)
    assert (row.dataset, row.operation) == ("rating", "insert")
    assert row.record == data
    assert (row.record["case_id"], row.record["department"], row.record["region"]) == (
        facts.case_id,
        facts.department_code,
        "450100",
    )
    assert exchange_services.fan_out.args[-1][1] is event


async def test_rectification_overdue_to_exchange(exchange_services: SimpleNamespace) -> None:
    data = rectification_overdue(COMPANY_CASE)
    session = FakeSession()
    event = deliver(eval_events.RECTIFICATION_OVERDUE, eval_events.SOURCE, data["rectification_id"], data)

    await exchange_consumers.on_rating(session, event)

    assert session.added == []  # not a national dataset: only forwarded to webhook subscribers
    assert exchange_services.fan_out.args[-1][1] is event
