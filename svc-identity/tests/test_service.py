import re
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Mount

from gov_common.testing import check_service_boots, serve_lifespan
from identity.main import SPEC, create_app
from identity.models import Account
from identity.settings import Settings

from .conftest import form_action, hidden, query


async def test_starts_on_the_embedded_default(tmp_path: Path) -> None:
    await check_service_boots(create_app(Settings(data_dir=tmp_path)), title=SPEC.title)
    assert (tmp_path / "identity.db").exists(), "its own SQLite file, named after the service"
    assert not (tmp_path / "identity-keys.json").exists(), "development keys are derived (gov_common.crypto), no file"


async def test_demo_data_on_the_embedded_default_lets_staff_sign_in(tmp_path: Path) -> None:
    for round_ in range(2):  # idempotent: a second start seeds nothing new and prints the same
        app = create_app(Settings(data_dir=tmp_path, demo_data=True))
        async with serve_lifespan(app):
            lines = (tmp_path / "demo" / "identity.txt").read_text()
            gateway = Starlette(routes=[Mount("/api/identity", app=app)])
            transport = httpx.ASGITransport(app=gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as browser:
                secret = re.search(r"nn-approver\s+TOTP secret (\w+)", lines)
                assert secret, lines
                url = (
                    "/api/identity/authorize?response_type=code&client_id=gov-workbench&redirect_uri=http://127.0.0.1:8000/callback"
                    "&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
                )
                page = await browser.get(url)
                step = await browser.post(
                    form_action(page.text),
                    data={"request_id": hidden(page.text), "username": "nn-approver", "password": "Demo-2026-gx"},
                )
                assert 'name="code"' in step.text
                done = await browser.post(
                    form_action(step.text),
                    data={"request_id": hidden(step.text), "code": pyotp.TOTP(secret.group(1)).now()},
                )
                if round_ == 0:
                    assert done.status_code == 303 and "code" in query(done.headers["location"])
                city = await browser.post(
                    "/api/identity/token",
                    data={"grant_type": "client_credentials"},
                    auth=("nanning-city-platform", "demo-nanning-city-platform-secret"),
                )
            async with app.state.runtime.db.transaction() as session:
                accounts = await session.scalar(select(func.count()).select_from(Account))
        assert city.status_code == 200 and city.json()["scope"]
        # 3 citizens, 10 staff (with Nanning's catalog editor and publisher), the 12345 operator and handler
        assert accounts == 15
        for name in (
            "zhangsan",
            "lisi",
            "wangwu",
            "nn-acceptor",
            "nn-reviewer",
            "nn-supervisor",
            "gx-catalog-editor",
            "gx-catalog-publisher",
            "gx-platform-admin",
        ):
            assert name in lines
