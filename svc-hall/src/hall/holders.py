"""Whether the person a kiosk checked is an account's holder (an appointment's), from identity
(``POST /v1/holder-matches``, scope ``identity.holder.match``): identity compares the ID number the kiosk
read with the account's and answers yes or no; the number is sent there only, never kept or returned."""

from __future__ import annotations

from hall.platform import Platform, PlatformCallFailed

SCOPE = "identity.holder.match"


async def is_holder(platform: Platform, *, subject: str, id_number: str) -> bool:
    resp = await platform.post(
        "identity", "/v1/holder-matches", scope=SCOPE, json={"subject": subject, "id_number": id_number}
    )
    if resp.status_code == 422:
        return False  # e.g. a holder that is no account id: nobody's card matches it
    if resp.status_code != 200:
        raise PlatformCallFailed(f"identity answered the holder match with {resp.status_code}")
    try:
        matches = resp.json()["matches"]
    except (KeyError, ValueError) as exc:
        raise PlatformCallFailed("identity's holder match answer was not understood") from exc
    return matches is True
