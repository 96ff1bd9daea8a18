"""The license events as certificates publishes them (gov_contracts.certificates): strict when built, and
never without the region a license is routed by."""

import pytest
from pydantic import ValidationError

from gov_contracts.certificates import LicenseRevoked

REVOKED = {"license_id": "x", "reason": "r", "revoked_at": "2026-11-27T10:00:00+08:00", "region": "450100"}


def test_a_revocation_validates_and_rejects_unknown_fields() -> None:
    data = LicenseRevoked.model_validate(REVOKED).to_data()
    assert data["revoked_at"].startswith("2026-11-27T10:00:00") and data["region"] == "450100"
    with pytest.raises(ValidationError):
        LicenseRevoked.model_validate(REVOKED | {"extra": 1})
    with pytest.raises(ValidationError):  # no offset: not a point in time
        LicenseRevoked.model_validate(REVOKED | {"revoked_at": "2026-11-27T10:00:00"})
    with pytest.raises(ValidationError):  # a license event without its region cannot be routed to a region
        LicenseRevoked.model_validate({k: v for k, v in REVOKED.items() if k != "region"})
