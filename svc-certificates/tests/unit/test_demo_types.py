"""The demo license types cover every license the demo catalog's items produce, so that an approval in
`make run` issues a license instead of dead-lettering for an unknown type."""

from catalog.seed.loader import seed_document
from certificates.demo import DEMO_TYPES


def test_every_license_the_demo_catalog_produces_has_a_type() -> None:
    produced = {i["result_license_type"] for i in seed_document()["items"] if i.get("result_license_type")}
    names = {t["name"] for t in DEMO_TYPES}
    assert produced, "the demo catalog names the licenses its items produce"
    assert produced <= names, sorted(produced - names)
    assert len({t["code"] for t in DEMO_TYPES}) == len(DEMO_TYPES)
