"""Documents a kiosk prints (自助打印) for the person it checked, from svc-certificates, asked with the hall's
own token (``certificates.licenses.print``, :mod:`hall.platform`): the person's active licences
(``POST /v1/kiosk-prints/licenses``) and one of them as a PDF (``POST /v1/kiosk-prints``). Certificates
finds them by the ID number the kiosk read and refuses anyone else's; the number is sent there, never kept."""

from __future__ import annotations

import uuid

from pydantic import TypeAdapter, ValidationError

from hall.kiosks.schemas import PrintableLicence
from hall.platform import Platform, PlatformCallFailed

SCOPE = "certificates.licenses.print"
_LICENCES = TypeAdapter(list[PrintableLicence])


async def licences_of(platform: Platform, *, id_number: str) -> list[PrintableLicence]:
    resp = await platform.post("certificates", "/v1/kiosk-prints/licenses", scope=SCOPE, json={"id_number": id_number})
    if resp.status_code != 200:
        raise PlatformCallFailed(f"certificates answered the licence list with {resp.status_code}")
    try:
        return _LICENCES.validate_python(resp.json()["items"])
    except (KeyError, ValueError, ValidationError) as exc:
        raise PlatformCallFailed("certificates' licence list was not understood") from exc


async def licence_pdf(platform: Platform, *, id_number: str, license_id: str, kiosk: str) -> bytes | None:
    """The licence as a PDF, ``None`` when certificates finds it is not the person's (or no longer active)."""
    body = {"id_number": id_number, "license_id": str(uuid.UUID(license_id)), "kiosk": kiosk}
    resp = await platform.post("certificates", "/v1/kiosk-prints", scope=SCOPE, json=body)
    if resp.status_code == 404:
        return None
    if resp.status_code != 200 or not resp.content.startswith(b"%PDF"):
        raise PlatformCallFailed(f"certificates answered the print with {resp.status_code}")
    return resp.content
