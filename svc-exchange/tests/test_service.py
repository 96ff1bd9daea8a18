from pathlib import Path

import sqlalchemy as sa

from exchange.main import SPEC, create_app
from exchange.settings import Settings
from gov_common.testing import TestIssuer, check_service_boots, serve_lifespan


async def test_starts_on_the_embedded_default(tmp_path: Path) -> None:
    await check_service_boots(create_app(Settings(data_dir=tmp_path)), title=SPEC.title)
    assert (tmp_path / "exchange.db").exists(), "its own SQLite file, named after the service"


async def test_demo_data_is_idempotent_and_the_audit_works_on_sqlite(tmp_path: Path) -> None:
    """The embedded default (SQLite, one writer at a time): demo seeding twice, a refused query audited in
    its own transaction without waiting on the request's, and the chain verifying."""
    issuer = TestIssuer()
    for _ in range(2):
        app = create_app(Settings(data_dir=tmp_path, demo_data=True, log_json=False))
        issuer.install(app)
        async with serve_lifespan(app) as client:
            async with app.state.runtime.db.transaction() as session:
                systems = await session.scalar(sa.text("SELECT count(*) FROM external_system"))
                datasets = await session.scalar(sa.text("SELECT count(*) FROM shared_dataset"))
            assert (systems, datasets) == (1, 4)
            system = issuer.headers(
                "nanning-city-platform",
                kind="system",
                scopes=["exchange.shared.query"],
                client_id="nanning-city-platform",
            )
            refused = await client.get("/v1/datasets/legal-person-base/records/91450100MA5KXXXX0B", headers=system)
            assert refused.status_code == 403
            auditor = issuer.headers("a", kind="staff", roles=["supervisor"], department="11450000MB0000009X")
            check = await client.get("/v1/audit/verify", headers=auditor)
            assert check.json()["valid"] is True
    assert check.json()["entries"] == 2, "one refused access per run"
    assert "nanning-city-platform" in (tmp_path / "demo" / "exchange.txt").read_text()
