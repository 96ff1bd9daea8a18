"""Who may read or act on a license, in the terms of the one access policy (:mod:`gov_common.policy`):

- its holder: the citizen, or a person acting for the holder enterprise whose token holds the operation's
  scope (``certificates.licenses.read`` to read, ``certificates.licenses.share`` to grant others use);
- staff of the issuing department whose region covers the license's (case roles read; approvers act);
- a department or application the holder granted it to, until the grant expires or is revoked.
- the hall service (``certificates.licenses.print``, as itself) for the person its kiosk checked by ID card
  or face: the active licences whose holder's ID number is the one read (``licenses.router``, kiosk prints).

A license imported by its department's own system names no account, only the holder's ID number: it is
the citizen's whose ID number it is, once verified in person (identity tells once per account; the link is
remembered by its blind index in ``holder_link``, never the number itself). Only a department's own system imports, and only the
license types its department's published items produce.

Anyone else gets 404, so that a license's existence does not leak. Every read by someone other than the
holder is written to the holder's use log (loading and logging: :mod:`certificates.licenses.authorise`).
Each operation's scope is checked before, by ``scoped()``."""

from __future__ import annotations

from collections.abc import Iterable

from certificates.context import Context
from certificates.errors import NotADepartmentSystem
from certificates.licenses import service
from certificates.models import License
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import CASE_ROLES, Applicant, staff_in, system_in

SCOPE_READ = "certificates.licenses.read"
SCOPE_SHARE = "certificates.licenses.share"
SCOPE_ISSUE = "certificates.licenses.issue"
SCOPE_IMPORT = "certificates.licenses.import"
SCOPE_PRINT = "certificates.licenses.print"  # the hall service, for the person its kiosk checked
APPROVER = frozenset({"approver"})


def holder_key(ctx: Context, principal: Principal) -> str:
    """The wallet a holder's token opens: the account (citizen) or the enterprise's blind index (a person
    acting for it; the route's scope says how far)."""
    if principal.kind == "citizen":
        return principal.subject
    if principal.kind == "enterprise" and principal.enterprise:
        return ctx.master_key.blind_index(principal.enterprise)
    raise Forbidden("the wallet is for citizens and people acting for an enterprise")


def holder_of(ctx: Context, lic: License) -> Applicant:
    """The license's holder as the access policy describes an applicant."""
    if lic.holder_id_type == "credit_code":
        return Applicant(kind="enterprise", subject=None, enterprise=service.holder_id(ctx, lic))
    return Applicant(kind="citizen", subject=lic.holder_subject)


# Level 3: the person was verified in person at a service hall (identity's acr). Level 2 (name and ID number
# match the population base) is knowledge, not possession: whoever knows them reaches it.
IN_PERSON_LEVEL = 3


def links_by_id_number(principal: Principal) -> bool:
    """Whether licenses imported for an ID number (no account) may open to ``principal``: a citizen account
    verified in person only, so that whoever registers someone else's ID number (and name) does not."""
    return principal.kind == "citizen" and principal.assurance_level >= IN_PERSON_LEVEL


def importing_department(principal: Principal) -> tuple[str, str]:
    """The department and region a department's own system imports licenses for (its token's
    ``department`` and ``region``), else ``NotADepartmentSystem``."""
    if (
        principal.department is None
        or principal.region is None
        or not system_in(principal, scope=SCOPE_IMPORT, region=principal.region)
    ):
        raise NotADepartmentSystem(client_id=principal.client_id)
    return principal.department, principal.region


def issuing_staff(principal: Principal, lic: License, *, roles: Iterable[str] = CASE_ROLES) -> bool:
    """Staff of ``lic``'s issuing department holding one of ``roles``, whose region covers the license's.
    Licenses issued before regions were recorded (certificates_0003) are their department's alone."""
    region = lic.region or principal.region
    return staff_in(principal, department=lic.issuer_code, region=region, roles=roles)


def wallet_key_of(lic: License) -> str:
    """The holder key recorded on grants and uses of ``lic``."""
    if lic.holder_id_type == "credit_code":
        return lic.holder_id_index
    return lic.holder_subject or lic.holder_id_index
