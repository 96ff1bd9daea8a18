"""Rough costs of sealing and verifying one license (crypto only, one core), and of issue and verify
through the API on a real PostgreSQL database (in-process, no network).

    GOV_TEST_PG_DSN=postgresql://... uv run python svc-certificates/scripts/bench_seal.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from certificates.main import create_app
from certificates.models import ApprovedCase
from certificates.sealing import canonical, generate_key, sign_vc_jwt, sm2_seal, sm2_verify, verify_vc_jwt
from certificates.settings import Settings
from gov_common.testing import TestIssuer, fresh_pg_database, serve_lifespan

DOC = {"@context": ["https://www.w3.org/ns/credentials/v2"], "credentialSubject": {"fields": {"a": "营业执照" * 20}}}


def crypto(n: int = 500) -> None:
    key = generate_key("k")
    data = canonical(DOC)
    for name, fn in {
        "vc-jwt sign (ES256)": lambda: sign_vc_jwt(DOC, kid="k", private_pem=key.vc_private),
        "sm2 seal": lambda: sm2_seal(data, private_key=key.sm2_private, public_key=key.sm2_public),
    }.items():
        t = time.perf_counter()
        for _ in range(n):
            fn()
        print(f"{name}: {(time.perf_counter() - t) / n * 1e3:.3f} ms")
    token = sign_vc_jwt(DOC, kid="k", private_pem=key.vc_private)
    sig = sm2_seal(data, private_key=key.sm2_private, public_key=key.sm2_public)
    for name, fn in {
        "vc-jwt verify": lambda: verify_vc_jwt(token, key.vc_public_jwk),
        "sm2 verify": lambda: sm2_verify(data, sig, public_key=key.sm2_public),
    }.items():
        t = time.perf_counter()
        for _ in range(n):
            fn()
        print(f"{name}: {(time.perf_counter() - t) / n * 1e3:.3f} ms")


async def api(n: int = 200) -> None:
    issuer = TestIssuer()
    dsn = os.environ["GOV_TEST_PG_DSN"]
    async with fresh_pg_database(dsn) as url:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                Settings(
                    data_dir=Path(tmp),
                    database_url=url,
                    demo_data=True,
                    log_level="WARNING",
                    verify_rate_limit="100000/minute",
                )
            )
            issuer.install(app)
            dept = "11450100MBQH0Y21QM"
            staff = issuer.headers("s", kind="staff", roles=["approver"], department=dept, region="450100")
            async with serve_lifespan(app) as client:
                # approved cases waiting for their license, as workflow.case.approved records them
                async with app.state.runtime.db.transaction() as session:
                    for i in range(n):
                        session.add(
                            ApprovedCase(
                                case_id=f"bench-{i}",
                                item_code="bench",
                                region="450100",
                                department_code=dept,
                                department_name="南宁市市场监督管理局",
                                license_type_name="营业执照",
                                applicant_kind="enterprise",
                                applicant_subject="agent",
                                applicant_enterprise="91450100MA5K9X2B3J",
                                holder_name="南宁示例科技有限公司",
                                approved_at=datetime.now(UTC),
                            )
                        )
                issue_ms, verify_ms, ids = [], [], []
                for i in range(n):
                    body = {
                        "case_id": f"bench-{i}",
                        "type_code": "11100000000013338W001",
                        "fields": {"entity_name": f"示例{i}"},
                    }
                    t = time.perf_counter()
                    r = await client.post("/v1/licenses", json=body, headers={**staff, "Idempotency-Key": str(i)})
                    issue_ms.append((time.perf_counter() - t) * 1e3)
                    ids.append(r.json()["identifier"])
                for ident in ids:
                    t = time.perf_counter()
                    await client.get(f"/v1/verify/{ident}")
                    verify_ms.append((time.perf_counter() - t) * 1e3)
    for name, xs in (("API issue", issue_ms), ("API verify by identifier", verify_ms)):
        xs.sort()
        print(f"{name}: median {statistics.median(xs):.1f} ms, p95 {xs[int(len(xs) * 0.95)]:.1f} ms (n={len(xs)})")


if __name__ == "__main__":
    crypto()
    asyncio.run(api())
