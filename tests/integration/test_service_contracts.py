"""Contracts between two services read from both sides: what one serves or publishes, built with its own
models and demo data, is understood by the service that reads it. They live here, not in either service's
tests, because they import both (a service's own tests import no other service)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from application.licenses import WalletPage
from catalog.items.schemas import ItemDefinition
from catalog.items.service import implementation_code
from catalog.seed.loader import item_definition, seed_document
from certificates.demo import DEMO_TYPES
from certificates.licenses.schemas import LicensePage, LicenseRead, SealInfo
from certificates.licenses.service import check_fields, fields_from_case
from certificates.models import LicenseType
from gov_contracts import catalog as catalog_contract

# License types whose required fields no application form carries: an approver issues them by hand.
ISSUED_BY_HAND = {"结婚证"}


def _type(name: str) -> LicenseType:
    spec = next(t for t in DEMO_TYPES if t["name"] == name)
    return LicenseType(**spec, template={})


def _sample(field: str) -> Any:
    return 100 if field.endswith(("_fen", "_count")) else f"{field}-value"


def test_the_wallet_contract_reads_what_certificates_serves() -> None:
    """A page exactly as svc-certificates' wallet serves it (its own response model) is understood here."""
    served = LicensePage(
        items=[
            LicenseRead(
                id="lic-42",
                identifier="1.2.156.3005.2.11.X.1.001.M",
                type_code="11",
                type_name="营业执照",
                version=1,
                previous_id=None,
                holder_name="张*",
                holder_id_type="credit_code",
                holder_id_masked="9145************09",
                issuer={"code": "11450100MBQH0Y21QM", "name": "南宁市市场监督管理局"},
                fields={},
                valid_from=date(2026, 1, 1),
                valid_until=None,
                status="active",
                status_reason=None,
                case_id=None,
                region="450100",
                issued_at=datetime(2026, 1, 1, tzinfo=UTC),
                credential_jwt="x.y.z",
                seal=SealInfo.model_construct(),
                verify_url="https://gov.example/v",
            )
        ],
        next_cursor=None,
    )
    page = WalletPage.model_validate(served.model_dump(mode="json"))
    assert page.items[0].license_id == "lic-42"
    assert page.items[0].matches("营业执照") and page.items[0].matches("11")
    assert page.items[0].usable


def test_every_demo_item_is_what_the_catalog_contract_carries() -> None:
    # Consumers read catalog.item.published with the contract's model: every seeded definition must fit it.
    doc = seed_document()
    for raw in doc["items"]:
        definition = ItemDefinition.model_validate(item_definition(raw, doc))
        published = catalog_contract.ItemPublished(
            implementation_code=implementation_code(definition),
            version=2,
            inherits=None,
            online_level="IV",
            fully_online=True,
            published_at=datetime(2026, 9, 24, 2, tzinfo=UTC),
            definition=catalog_contract.ItemDefinition.model_validate(definition.model_dump(mode="json")),
        )
        read = catalog_contract.ItemPublished.read(published.to_data())
        assert read.definition.department.code == definition.department.code, raw["name"]


@pytest.mark.parametrize(
    "item",
    [i for i in seed_document()["items"] if i.get("result_license_type") not in (None, *ISSUED_BY_HAND)],
    ids=lambda i: i["name"],
)
def test_an_approved_demo_item_fills_its_license(item: dict[str, Any]) -> None:
    form = {f: _sample(f) for f in item["form"]["required"]}
    offered = {"item_name": item["name"], "tracking_number": "45010020261128000001", **form}
    license_type = _type(item["result_license_type"])
    fields = check_fields(license_type, fields_from_case(license_type, offered))
    assert set(fields) <= {f["name"] for f in license_type.fields}


def test_every_license_the_demo_catalog_produces_has_a_type() -> None:
    produced = {i["result_license_type"] for i in seed_document()["items"] if i.get("result_license_type")}
    names = {t["name"] for t in DEMO_TYPES}
    assert produced, "the demo catalog names the licenses its items produce"
    assert produced <= names, sorted(produced - names)
    assert len({t["code"] for t in DEMO_TYPES}) == len(DEMO_TYPES)
