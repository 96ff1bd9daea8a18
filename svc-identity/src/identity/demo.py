"""Demo data for `make run` (never in production; the launcher refuses it there). Idempotent: a second
start finds the accounts and prints the same lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.scopes import PERSON, STAFF
from gov_common.service import demo_subject
from gov_common.settings import ServiceSettings
from gov_standards.china_time import utcnow as now
from gov_standards.identifiers import credit_check_character
from identity.accounts.service import publish_registered, set_id_number, set_phone
from identity.basedata import SYNTHETIC_RESIDENTS
from identity.models import Account, AgentGrant, Department, Enterprise, OAuthClient
from identity.oidc.clientauth import secret_hash
from identity.org.schemas import StaffCreate
from identity.org.service import create_staff
from identity.passwords import hash_password
from identity.pii import PersonalData, load_keys
from identity.settings import Settings

DEMO_PASSWORD = "Demo-2026-gx"  # noqa: S105 - printed demo credential
CITY_CLIENT_ID = "nanning-city-platform"
CITY_CLIENT_SECRET = "demo-nanning-city-platform-secret"  # noqa: S105 - printed demo credential
# 南宁市市场监督管理局's own registration system: imports the licences it issued outside the platform.
MARKET_REGISTRY_CLIENT_ID = "nn-market-registry"
MARKET_REGISTRY_CLIENT_SECRET = "demo-nn-market-registry-secret"  # noqa: S105 - printed demo credential
PORTAL_CLIENT_ID = "gov-portal"
# The staff workbench: first-party, staff scopes, staff accounts only.
WORKBENCH_CLIENT_ID = "gov-workbench"
AGENT_SCOPES = ("application.applications.read", "application.applications.write")  # what lisi grants wangwu
# The platform's own services that call identity (certificates names a citizen holder). make run passes the
# same demo secret to svc-certificates (CERTIFICATES_IDENTITY_CLIENT_SECRET).
CERTIFICATES_CLIENT_ID = "svc-certificates"
CERTIFICATES_CLIENT_SECRET = "demo-svc-certificates-secret"  # noqa: S105 - demo credential
APPLICATION_CLIENT_ID = "svc-application"  # checks that a kiosk's checked person is a case's applicant
APPLICATION_CLIENT_SECRET = "demo-svc-application-secret"  # noqa: S105 - demo credential
HALL_CLIENT_ID = "svc-hall"  # asks application about a case for a kiosk
HALL_CLIENT_SECRET = "demo-svc-hall-secret"  # noqa: S105 - demo credential
# The portal reporting its anonymous usage counts to the catalog (staff read them as usage statistics).
PORTAL_USAGE_CLIENT_ID = "gov-portal-usage"
PORTAL_USAGE_CLIENT_SECRET = "demo-portal-usage-secret"  # noqa: S105 - demo credential
# The internet portal (portal/) as a backend-for-frontend: a confidential client (its tokens stay on its
# server); the launcher gives the portal the same secret (PORTAL_CLIENT_SECRET).
PORTAL_WEB_CLIENT_ID = "gov-portal-web"
PORTAL_WEB_CLIENT_SECRET = "demo-portal-web-secret"  # noqa: S105 - printed demo credential
# The staff workbench (workbench/) as a backend-for-frontend: a confidential client for staff accounts only
# (who sign in with their TOTP code); the launcher gives the workbench the same secret (WORKBENCH_CLIENT_SECRET).
WORKBENCH_WEB_CLIENT_ID = "gov-workbench-web"
WORKBENCH_WEB_CLIENT_SECRET = "demo-workbench-web-secret"  # noqa: S105 - printed demo credential
ENTERPRISE_CODE = "9145010000000001" + "0"
ENTERPRISE_CODE = ENTERPRISE_CODE[:17] + credit_check_character(ENTERPRISE_CODE[:17])

_CITIZENS = [  # username, ID number (synthetic base data), phone
    ("zhangsan", "450102199001011231", "13800000001"),
    ("lisi", "450102198506152342", "13800000002"),
    ("wangwu", "450203199203043452", "13800000003"),
]
_NANNING_STAFF = [
    ("nn-acceptor", "acceptor"),
    ("nn-reviewer", "reviewer"),
    ("nn-approver", "approver"),
    ("nn-supervisor", "supervisor"),
]
HOTLINE_CENTRE = "12450100MB1234500X"
CITY_MANAGEMENT = "11450100MB0C1G2L3X"
_PROVINCE_STAFF = [
    ("gx-catalog-editor", "catalog_editor"),
    ("gx-catalog-publisher", "catalog_publisher"),
    ("gx-platform-admin", "platform_admin"),
    ("nn-staff-admin", "staff_admin"),
    # Nanning's market-regulation catalog staff: they edit and publish that department's city implementations.
    ("nn-catalog-editor", "catalog_editor"),
    ("nn-catalog-publisher", "catalog_publisher"),
]


async def _department(session: AsyncSession, code: str, name: str, region: str) -> Department:
    found = await session.scalar(sa.select(Department).where(Department.code == code))
    if found is None:
        found = Department(code=code, name=name, region_code=region, created_at=now())
        session.add(found)
        await session.flush()
    return found


async def _citizen(session: AsyncSession, pii: PersonalData, username: str, id_number: str, phone: str) -> Account:
    account = await session.scalar(sa.select(Account).where(Account.username == username))
    if account is None:
        account = Account(
            id=uuid.UUID(demo_subject(username)),
            kind="citizen",
            username=username,
            password_hash=hash_password(DEMO_PASSWORD),
            real_name=SYNTHETIC_RESIDENTS[id_number],
            assurance_level=2,
            roles=[],
            created_at=now(),
        )
        set_id_number(account, id_number, pii)
        set_phone(account, phone, pii)
        session.add(account)
        await session.flush()
        await publish_registered(session, account)
    return account


async def _staff(
    session: AsyncSession, pii: PersonalData, username: str, role: str, region: str, department: Department
) -> str:
    account = await session.scalar(sa.select(Account).where(Account.username == username))
    if account is None:
        seeder = Principal(subject="demo-seeder", kind="staff", roles=frozenset({"platform_admin"}))
        staff_in = StaffCreate(
            username=username, real_name=username, region=region, department_id=department.id, roles=[role]
        )
        account, _, _ = await create_staff(
            session=session, pii=pii, principal=seeder, staff_in=staff_in, password=DEMO_PASSWORD
        )
    assert account.totp_secret_enc is not None
    return pii.decrypt(account.totp_secret_enc, kind="totp")


async def _client(session: AsyncSession, *, client_id: str, **registration: Any) -> None:
    """Register a demo client, or bring an earlier demo's registration up to date (scopes, kinds, URIs)."""
    client = await session.get(OAuthClient, client_id)
    if client is None:
        client = OAuthClient(client_id=client_id, redirect_uris=[], post_logout_redirect_uris=[], created_at=now())
        session.add(client)
    for name, value in registration.items():
        setattr(client, name, value)
    await session.flush()


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    assert isinstance(settings, Settings)
    pii = PersonalData(load_keys(settings))
    zhangsan, lisi, wangwu = [await _citizen(session, pii, *c) for c in _CITIZENS]

    enterprise = await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == ENTERPRISE_CODE))
    if enterprise is None:
        enterprise = Enterprise(
            name="广西示例科技有限公司（演示）",
            credit_code=ENTERPRISE_CODE,
            representative_id=lisi.id,
            created_at=now(),
        )
        session.add(enterprise)
        await session.flush()
        session.add(
            AgentGrant(
                enterprise_id=enterprise.id,
                agent_id=wangwu.id,
                scopes=list(AGENT_SCOPES),
                expires_at=datetime.now(UTC) + timedelta(days=365),
                granted_by=lisi.id,
                created_at=now(),
            )
        )

    # The same departments (and credit codes) as the catalog's demo items, so that cases of Nanning's
    # market-regulation items reach these staff, and the catalog staff may edit that department's items.
    nanning = await _department(session, "11450100MBQH0Y21QM", "南宁市市场监督管理局", "450100")
    province = await _department(session, "11450000MBDT9P36QH", "广西壮族自治区市场监督管理局", "450000")
    totp = {u: await _staff(session, pii, u, r, "450100", nanning) for u, r in _NANNING_STAFF[:4]}
    totp.update(
        {
            u: await _staff(
                session,
                pii,
                u,
                r,
                "450000" if u.startswith("gx-") else "450100",
                province if u.startswith("gx-") else nanning,
            )
            for u, r in _PROVINCE_STAFF
        }
    )
    # The 12345 hotline: an operator of Nanning's centre and a handler of a department orders go to (the
    # same department codes as svc-hotline's demo dispatch rules).
    centre = await _department(session, HOTLINE_CENTRE, "南宁市12345政务服务便民热线中心", "450100")
    city = await _department(session, CITY_MANAGEMENT, "南宁市城市管理综合行政执法局", "450100")
    totp["nn-hotline"] = await _staff(session, pii, "nn-hotline", "hotline_operator", "450100", centre)
    totp["nn-chengguan"] = await _staff(session, pii, "nn-chengguan", "acceptor", "450100", city)

    issuer = settings.token_issuer.rstrip("/")
    gateway = issuer.rsplit("/api/", 1)[0]
    oidc = ["openid", "profile", "phone", "offline_access"]
    # Systems that call the platform as themselves (client credentials): (id, name, secret, scopes, region,
    # department).
    systems = [
        (
            CITY_CLIENT_ID,
            "南宁市政务服务平台 (demo city platform)",
            CITY_CLIENT_SECRET,
            [
                "exchange.catalog.read",
                "exchange.cases.write",
                "exchange.webhooks.manage",
                "exchange.discovery.read",
                "exchange.hotline.write",
            ],
            "450100",
            None,
        ),
        (
            MARKET_REGISTRY_CLIENT_ID,
            "南宁市市场监督管理局登记系统 (demo department system)",
            MARKET_REGISTRY_CLIENT_SECRET,
            ["certificates.licenses.import"],
            "450100",
            nanning.code,
        ),
        (
            CERTIFICATES_CLIENT_ID,
            "svc-certificates (platform service)",
            CERTIFICATES_CLIENT_SECRET,
            ["identity.holder.read"],
            "450000",
            None,
        ),
        (
            APPLICATION_CLIENT_ID,
            "svc-application (platform service)",
            APPLICATION_CLIENT_SECRET,
            ["identity.holder.read"],
            "450000",
            None,
        ),
        (
            HALL_CLIENT_ID,
            "svc-hall (platform service)",
            HALL_CLIENT_SECRET,
            # a kiosk's case look-ups, its check that the person is an appointment's holder, its prints
            ["application.cases.lookup", "identity.holder.match", "certificates.licenses.print"],
            "450000",
            None,
        ),
        (
            PORTAL_USAGE_CLIENT_ID,
            "广西政务服务网 使用统计上报 (platform front-end)",
            PORTAL_USAGE_CLIENT_SECRET,
            ["catalog.usage.report"],
            "450000",
            None,
        ),
    ]
    for client_id, name, secret, scopes, region, department in systems:
        await _client(
            session,
            client_id=client_id,
            name=name,
            auth_method="client_secret_basic",
            secret_hash=secret_hash(secret),
            grant_types=["client_credentials"],
            scopes=scopes,
            account_kinds=[],
            region_code=region,
            **({"department_code": department} if department else {}),
        )
    await _client(
        session,
        client_id=PORTAL_CLIENT_ID,
        name="广西政务服务网（演示应用）",
        auth_method="none",
        grant_types=["authorization_code", "refresh_token"],
        scopes=sorted(PERSON) + oidc,
        account_kinds=["citizen"],
        redirect_uris=[f"{gateway}/callback", "http://127.0.0.1:8080/callback"],
        post_logout_redirect_uris=[f"{gateway}/"],
        first_party=True,
    )
    portal = settings.demo_portal_url.rstrip("/")
    await _client(
        session,
        client_id=PORTAL_WEB_CLIENT_ID,
        name="广西政务服务网",
        auth_method="client_secret_basic",
        secret_hash=secret_hash(PORTAL_WEB_CLIENT_SECRET),
        grant_types=["authorization_code", "refresh_token"],
        scopes=sorted(PERSON) + oidc,
        account_kinds=["citizen"],
        redirect_uris=[f"{portal}/callback"],
        post_logout_redirect_uris=[f"{portal}/"],
        first_party=True,
    )
    await _client(
        session,
        client_id=WORKBENCH_CLIENT_ID,
        name="广西政务服务工作台（演示应用）",
        auth_method="none",
        grant_types=["authorization_code", "refresh_token"],
        scopes=sorted(STAFF) + oidc,
        account_kinds=["staff"],
        redirect_uris=[f"{gateway}/callback", "http://127.0.0.1:8081/callback"],
        post_logout_redirect_uris=[f"{gateway}/"],
        first_party=True,
    )
    workbench = settings.demo_workbench_url.rstrip("/")
    await _client(
        session,
        client_id=WORKBENCH_WEB_CLIENT_ID,
        name="广西政务服务工作平台",
        auth_method="client_secret_basic",
        secret_hash=secret_hash(WORKBENCH_WEB_CLIENT_SECRET),
        grant_types=["authorization_code", "refresh_token"],
        scopes=sorted(STAFF) + oidc,
        account_kinds=["staff"],
        redirect_uris=[f"{workbench}/callback"],
        post_logout_redirect_uris=[f"{workbench}/"],
        first_party=True,
    )
    del zhangsan  # seeded for sign-in; nothing else refers to it
    lines = [
        f"identity: sign in at {issuer}/authorize (OIDC discovery: {issuer}/.well-known/openid-configuration)",
        f"  password for every demo person: {DEMO_PASSWORD}",
        "  citizen (level 2): zhangsan (or ID number 450102199001011231 / mobile 13800000001)",
        f"  enterprise {ENTERPRISE_CODE}: representative lisi, agent wangwu ({' '.join(AGENT_SCOPES)})",
        "    an agent signs in with &enterprise=<credit code> on the authorization request",
        "  staff sign in with a TOTP code: uv run python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
    ]
    lines += [f"    {u:<22} TOTP secret {s} (DEMO ONLY)" for u, s in totp.items()]
    lines += [
        f"  public portal client: {PORTAL_CLIENT_ID} (authorization code + PKCE S256): citizens' scopes"
        " (gov_common.scopes.PERSON); staff accounts signing in there get no platform scope;"
        f" redirect_uri {gateway}/callback or http://127.0.0.1:8080/callback",
        f"  internet portal client: {PORTAL_WEB_CLIENT_ID} / {PORTAL_WEB_CLIENT_SECRET} (confidential,"
        f" authorization code + PKCE S256, client_secret_basic): redirect_uri {portal}/callback",
        f"  staff workbench client: {WORKBENCH_CLIENT_ID} (authorization code + PKCE S256): staff scopes"
        " (gov_common.scopes.STAFF); only staff accounts may sign in through it;"
        f" redirect_uri {gateway}/callback or http://127.0.0.1:8081/callback",
        f"  staff workbench (web) client: {WORKBENCH_WEB_CLIENT_ID} / {WORKBENCH_WEB_CLIENT_SECRET} (confidential,"
        f" authorization code + PKCE S256, client_secret_basic, staff with TOTP only): redirect_uri {workbench}/callback",
        f"  city platform client: {CITY_CLIENT_ID} / {CITY_CLIENT_SECRET} (client_credentials, client_secret_basic):"
        " exchange.catalog.read exchange.cases.write exchange.webhooks.manage exchange.hotline.write",
        f"  department system client: {MARKET_REGISTRY_CLIENT_ID} / {MARKET_REGISTRY_CLIENT_SECRET}"
        f" (client_credentials, client_secret_basic; {nanning.name} {nanning.code}): certificates.licenses.import",
    ]
    return lines
