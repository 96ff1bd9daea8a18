"""Identity's browser pages as a person meets them: the platform's one look from identity's own origin (no
external asset, no inline script or style), Chinese only, each error next to its field and in a summary
linked to it, and the assets' folder closed to path tricks. (In a real browser with axe-core:
tests/e2e/test_portal.py.)"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pyotp
import pytest
import sqlalchemy as sa

from gov_standards.china_time import utcnow
from gov_standards.identifiers import credit_check_character
from identity.models import AgentGrant, AuthorizationCode, Enterprise

from ..conftest import ISSUER, PASSWORD, Idp, form_action, hidden, query

pytestmark = pytest.mark.postgres

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636's example: its S256 is CHALLENGE
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def authorize(client_id: str, scope: str = "openid profile") -> str:
    return (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri=https://rp.test/callback"
        f"&scope={scope.replace(' ', '+')}&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )


class Page(HTMLParser):
    """What a page shows (its text, outside <code>-like scope names) and what it loads."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.assets: list[str] = []
        self.inline: list[str] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("link", "script", "img") and (a.get("href") or a.get("src")):
            self.assets.append(str(a.get("href") or a.get("src")))
        if tag in ("script", "style") and not a.get("src"):
            self.inline.append(tag)
        if "style" in a:
            self.inline.append(f"style attribute on <{tag}>")
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())

    def english(self, *names: str) -> list[str]:
        """Latin words a person would read, outside ``names`` (a test client's name, scope codes)."""
        shown = " ".join(self.text)
        for name in names:
            shown = shown.replace(name, "")
        return LATIN_WORD.findall(shown)


def field_error(html: str, field: str) -> str:
    """The error message shown next to ``field`` (and that the field points to it)."""
    tag = re.search(rf'<input[^>]* id="{field}"[^>]*>', html)
    assert tag, f"no field {field}"
    assert 'aria-invalid="true"' in tag.group(0) and f"{field}-error" in tag.group(0)
    message = re.search(rf'id="{field}-error"><span class="visually-hidden">错误：</span>([^<]+)</span>', html)
    assert message, f"no message next to {field}"
    assert f'<a href="#{field}">' in html, "the error summary links to the field"
    return message.group(1)


async def test_the_sign_in_page_wears_the_platforms_look_from_identitys_own_origin(idp: Idp) -> None:
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        page = await browser.get(authorize(client_id))
        assert page.status_code == 200
        seen = Page(page.text)
        assert '<html lang="zh-CN">' in page.text
        assert not seen.english(f"Test RP {client_id}"), f"the sign-in page is Chinese only: {seen.english()}"
        assert not seen.inline, "no inline script or style (the policy forbids them)"
        csp = page.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"

        # Every asset from identity's address under the gateway, served by identity, cacheable.
        assert seen.assets and all(a.startswith("/api/identity/static/web/") for a in seen.assets), seen.assets
        kinds = set()
        for asset in seen.assets:
            got = await browser.get(asset)
            assert got.status_code == 200, asset
            kinds.add(got.headers["content-type"].split(";")[0])
        assert {"text/css", "text/javascript"} <= kinds or {"text/css", "application/javascript"} <= kinds
        css = await browser.get("/api/identity/static/web/gov.css")
        assert "--blue" in css.text, "the portal's own stylesheet"


async def test_the_assets_folder_gives_nothing_else_away(idp: Idp) -> None:
    async with idp.http() as browser:
        for trick in (
            "/api/identity/static/web/../templating.py",
            "/api/identity/static/web/%2e%2e/templating.py",
            "/api/identity/static/web/..%2f..%2fsettings.py",
            "/api/identity/static/web/%2e%2e%2f%2e%2e%2f%2e%2e%2fidentity/settings.py",
            "/api/identity/static/web/templates/web/base.html",
        ):
            got = await browser.get(trick)
            assert got.status_code == 404, trick
            assert "import" not in got.text and "{%" not in got.text


async def test_a_wrong_password_is_shown_next_to_the_password_and_changes_nothing(idp: Idp) -> None:
    await idp.citizen("wangwu", id_number="450102198506152342", phone="13800000003")
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        page = await browser.get(authorize(client_id))
        wrong = await browser.post(
            form_action(page.text), data={"request_id": hidden(page.text), "username": "wangwu", "password": "nope"}
        )
        assert wrong.status_code == 401
        assert field_error(wrong.text, "password") == "用户名或密码错误"
        assert 'id="username"' in wrong.text and 'aria-invalid="true"' not in wrong.text.split('id="password"')[0]
        assert not Page(wrong.text).english(f"Test RP {client_id}")
        assert "gov_sso" not in wrong.headers.get("set-cookie", ""), "no session from a failed sign-in"

        right = await browser.post(
            form_action(wrong.text), data={"request_id": hidden(wrong.text), "username": "wangwu", "password": PASSWORD}
        )
        assert right.status_code == 303, "the same form, corrected, goes on"


async def test_the_second_factor_and_consent_pages_are_chinese_with_errors_next_to_the_field(idp: Idp) -> None:
    _, secret = await idp.staff("nn-reviewer", roles=("reviewer",))
    client_id, _ = await idp.client(first_party=False, account_kinds=("staff",), scopes=("workflow.cases.read",))
    async with idp.http() as browser:
        page = await browser.get(authorize(client_id, "openid profile workflow.cases.read"))
        totp = await browser.post(
            form_action(page.text),
            data={"request_id": hidden(page.text), "username": "nn-reviewer", "password": PASSWORD},
        )
        assert totp.status_code == 200 and 'autocomplete="one-time-code"' in totp.text
        assert not Page(totp.text).english()
        code = pyotp.TOTP(secret).now()
        wrong_code = "000000" if code != "000000" else "111111"
        refused = await browser.post(form_action(totp.text), data={"request_id": hidden(totp.text), "code": wrong_code})
        assert refused.status_code == 401
        assert "动态口令错误" in field_error(refused.text, "code")

        consent = await browser.post(form_action(refused.text), data={"request_id": hidden(refused.text), "code": code})
        assert consent.status_code == 200 and 'name="decision"' in consent.text
        seen = Page(consent.text)
        assert "查看办件进度和办理轨迹" in consent.text and "读取您的姓名和用户名" in consent.text
        shown = seen.english(f"Test RP {client_id}", "workflow.cases.read", "openid", "profile")
        assert not shown, f"only the scopes' codes are Latin: {shown}"


async def test_error_and_signed_out_pages_are_chinese(idp: Idp) -> None:
    async with idp.http() as browser:
        unknown = await browser.get(authorize("c-nobody"))
        assert unknown.status_code == 400 and "未知的应用" in unknown.text
        assert not Page(unknown.text).english()
        out = await browser.get(f"{ISSUER}/logout")
        assert out.status_code == 200 and "已退出登录" in out.text
        assert not Page(out.text).english()


def reset_id_of(page: str) -> str:
    return hidden(page, "reset_id")


async def test_a_forgotten_password_is_reset_through_the_pages_with_errors_next_to_fields(idp: Idp) -> None:
    account = await idp.citizen("zhaoliu", id_number="450102198506152342", phone="13800000006")
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        login = await browser.get(authorize(client_id))
        link = re.search(r'<a href="([^"]+)">忘记密码？</a>', login.text)
        assert link and link.group(1) == f"{ISSUER}/password-reset"
        start = await browser.get(link.group(1))
        assert start.status_code == 200 and not Page(start.text).english()

        empty = await browser.post(form_action(start.text), data={"identifier": " "})
        assert empty.status_code == 422 and "请输入" in field_error(empty.text, "identifier")

        # The same page whether or not the account exists (no enumeration); a text only to the real one.
        nobody = await browser.post(form_action(start.text), data={"identifier": "no-such-person"})
        sent = await browser.post(form_action(start.text), data={"identifier": "13800000006"})
        assert nobody.status_code == sent.status_code == 200
        assert nobody.text.replace(reset_id_of(nobody.text), "") == sent.text.replace(reset_id_of(sent.text), "")
        code = re.search(r"\d{6}", (idp.settings.data_dir / "sms" / f"{account}.txt").read_text())
        assert code
        reset_id, action = reset_id_of(sent.text), form_action(sent.text)

        # Refusals next to their fields; nothing changes (the old password still signs in afterwards).
        weak = await browser.post(
            action, data={"reset_id": reset_id, "code": "12", "new_password": "short", "confirm_password": "short"}
        )
        assert weak.status_code == 422
        assert field_error(weak.text, "code") == "请输入短信中的 6 位验证码"
        assert field_error(weak.text, "new_password") == "密码至少 10 位"
        mismatch = await browser.post(
            action,
            data={"reset_id": reset_id, "code": code.group(0), "new_password": "Brand-new-7x", "confirm_password": "x"},
        )
        assert field_error(mismatch.text, "confirm_password") == "两次输入的新密码不一致"
        wrong_code = "000000" if code.group(0) != "000000" else "111111"
        wrong = await browser.post(
            action,
            data={
                "reset_id": reset_id,
                "code": wrong_code,
                "new_password": "Brand-new-7x",
                "confirm_password": "Brand-new-7x",
            },
        )
        assert "还可以再试 4 次" in field_error(wrong.text, "code"), "the wrong code was counted"
        forged = await browser.post(action, data={"reset_id": "../../v1/me", "code": code.group(0)})
        assert forged.status_code == 400 and "password" not in forged.text

        done = await browser.post(
            action,
            data={
                "reset_id": reset_id,
                "code": code.group(0),
                "new_password": "Brand-new-7x",
                "confirm_password": "Brand-new-7x",
            },
        )
        assert done.status_code == 200 and "密码已重置" in done.text
        again = await browser.post(
            action,
            data={
                "reset_id": reset_id,
                "code": code.group(0),
                "new_password": "Other-new-8y",
                "confirm_password": "Other-new-8y",
            },
        )
        assert again.status_code == 422 and "已失效" in again.text, "a code works once"

    async with idp.http() as browser:
        old = await browser.get(authorize(client_id))
        refused = await browser.post(
            form_action(old.text), data={"request_id": hidden(old.text), "username": "zhaoliu", "password": PASSWORD}
        )
        assert refused.status_code == 401
        new = await browser.post(
            form_action(refused.text),
            data={"request_id": hidden(refused.text), "username": "zhaoliu", "password": "Brand-new-7x"},
        )
        assert new.status_code == 303


async def _enterprise(idp: Idp, name: str, representative: uuid.UUID, serial: int) -> tuple[str, uuid.UUID]:
    body = f"91450100MA5L{serial:05d}"
    code = body + credit_check_character(body)
    async with idp.db.transaction() as session:
        row = Enterprise(name=name, credit_code=code, representative_id=representative)
        session.add(row)
        await session.flush()
        return code, row.id


async def _grant(idp: Idp, enterprise: uuid.UUID, agent: uuid.UUID, by: uuid.UUID, *, days: int) -> None:
    async with idp.db.transaction() as session:
        session.add(
            AgentGrant(
                enterprise_id=enterprise,
                agent_id=agent,
                granted_by=by,
                scopes=["application.applications.read"],
                expires_at=utcnow() + timedelta(days=days),
            )
        )


async def _choose(idp: Idp, client_id: str, choice: str | None) -> httpx.Response:
    """Sign in as qianqi with prompt=select_account; the choice page, or what choosing ``choice`` answers."""
    async with idp.http() as browser:
        start = await browser.get(
            authorize(client_id, "openid application.applications.read") + "&prompt=select_account"
        )
        page = await browser.post(
            form_action(start.text), data={"request_id": hidden(start.text), "username": "qianqi", "password": PASSWORD}
        )
        if choice is None:
            return page
        return await browser.post(form_action(page.text), data={"request_id": hidden(page.text), "acting_for": choice})


async def test_a_person_chooses_for_whom_they_act_when_the_client_asks(idp: Idp) -> None:
    """prompt=select_account: a person who may act for enterprises chooses (self, one they represent, one
    whose live grant names them); an expired grant is neither offered nor accepted when forged."""
    me = await idp.citizen("qianqi", id_number="450102198506152342", phone="13800000007", level=2)
    other = await idp.citizen("sunba", id_number="450102199001011231", phone="13800000008", level=2)
    own, _ = await _enterprise(idp, "广西甲科技有限公司", me, 1)
    agent_of, agent_id = await _enterprise(idp, "广西乙商贸有限公司", other, 2)
    lapsed, lapsed_id = await _enterprise(idp, "广西丙物流有限公司", other, 3)
    await _grant(idp, agent_id, me, other, days=30)
    await _grant(idp, lapsed_id, me, other, days=-1)
    client_id, _ = await idp.client(scopes=("application.applications.read", "application.applications.write"))

    page = await _choose(idp, client_id, None)
    assert page.status_code == 200 and 'name="acting_for"' in page.text
    offered = set(re.findall(r'name="acting_for" value="([^"]+)"', page.text))
    assert offered == {"self", own, agent_of}, offered
    assert "广西乙商贸有限公司" in page.text and "广西丙物流有限公司" not in page.text
    assert not Page(page.text).english(f"Test RP {client_id}")

    async def enterprise_of_code(location: str) -> str | None:
        assert "code=" in location, location
        async with idp.db.transaction() as session:
            row = await session.scalar(
                sa.select(AuthorizationCode)
                .where(AuthorizationCode.account_id == me)
                .order_by(AuthorizationCode.expires_at.desc())
            )
            assert row is not None
            return row.enterprise

    as_agent = await _choose(idp, client_id, agent_of)
    assert as_agent.status_code == 303 and await enterprise_of_code(as_agent.headers["location"]) == agent_of
    # The client learns for whom the person acts from the ID token too (to show it and offer to switch).
    async with idp.http() as http:
        tokens = await http.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "authorization_code",
                "code": query(as_agent.headers["location"])["code"],
                "redirect_uri": "https://rp.test/callback",
                "client_id": client_id,
                "code_verifier": VERIFIER,
            },
        )
    assert tokens.status_code == 200, tokens.text
    claims = json.loads(base64.urlsafe_b64decode(tokens.json()["id_token"].split(".")[1] + "=="))
    assert claims["enterprise"] == agent_of and claims["sub"] == str(me)
    # The client asked for more than the grant allows (it could not know whom the person would pick): the
    # grant is narrowed to what the enterprise granted, not refused.
    assert sorted(tokens.json()["scope"].split()) == ["application.applications.read", "openid"]
    as_self = await _choose(idp, client_id, "self")
    assert as_self.status_code == 303 and await enterprise_of_code(as_self.headers["location"]) is None

    forged = await _choose(idp, client_id, lapsed)
    assert forged.status_code == 303 and "error=access_denied" in forged.headers["location"]
    garbage = await _choose(idp, client_id, "../../admin")
    assert garbage.status_code == 303 and "error=invalid_request" in garbage.headers["location"]

    # Without the prompt nothing is asked: the person acts for themself, as before.
    async with idp.http() as browser:
        start = await browser.get(authorize(client_id, "openid application.applications.read"))
        done = await browser.post(
            form_action(start.text), data={"request_id": hidden(start.text), "username": "qianqi", "password": PASSWORD}
        )
        assert done.status_code == 303 and "code=" in done.headers["location"]
