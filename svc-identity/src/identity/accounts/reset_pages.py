"""The forgotten-password pages a person reaches from the sign-in page (忘记密码): ask for a code by text
message, then set a new password with it. They run the API's own steps (``POST /v1/password-resets`` and
its completion) in-process, with the same throttles, delays, audit and answers that reveal nothing about
whether an account exists; every refusal is shown next to its field and changes nothing but the count of
wrong codes."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gov_common.deps import SessionDep
from identity.accounts.resets import ResetCodeWrong, finish_reset, request_reset
from identity.deps import AddressDep, IdentityDep
from identity.oidc.pages import Pages
from identity.passwords import MIN_LENGTH, password_problem

router = APIRouter(include_in_schema=False)

CODE = re.compile(r"^\d{6}$")
RESET_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MISMATCH = "两次输入的新密码不一致"
PASSWORD_HINT = f"至少 {MIN_LENGTH} 位，同时包含字母和数字或符号"


async def _form(request: Request) -> dict[str, str]:
    form: Any = await request.form()
    return {k: v[:200] for k, v in form.items() if isinstance(v, str)}


@router.get("/password-reset", summary="Forgotten password: the page asking who you are")
async def reset_page(identity: IdentityDep) -> HTMLResponse:
    return Pages.of(identity.settings).reset_start()


@router.post("/password-reset", summary="Forgotten password: send a code by text message")
async def reset_send(request: Request, session: SessionDep, identity: IdentityDep, address: AddressDep) -> HTMLResponse:
    identifier = (await _form(request)).get("identifier", "").strip()
    if not identifier or len(identifier) > 64:
        return Pages.of(identity.settings).reset_start(
            identifier=identifier[:64], errors={"identifier": "请输入用户名、身份证号或手机号"}, status=422
        )
    reset_id = await request_reset(session, identity, identifier, address)
    return Pages.of(identity.settings).reset_code(reset_id=reset_id, hint=PASSWORD_HINT)


@router.post("/password-reset/completion", summary="Forgotten password: set a new one with the code")
async def reset_finish(
    request: Request, session: SessionDep, identity: IdentityDep, address: AddressDep
) -> HTMLResponse:
    form = await _form(request)
    reset_id = form.get("reset_id", "")
    if not RESET_ID.match(reset_id):
        return Pages.of(identity.settings).error("找回密码的请求无效，请重新开始", 400)
    errors: dict[str, str] = {}
    if not CODE.match(form.get("code", "")):
        errors["code"] = "请输入短信中的 6 位验证码"
    new_password = form.get("new_password", "")
    weak = password_problem(new_password, chinese=True)
    if weak:
        errors["new_password"] = weak
    elif form.get("confirm_password", "") != new_password:
        errors["confirm_password"] = MISMATCH
    if not errors:
        try:
            wrong = await finish_reset(session, reset_id, form["code"], new_password, address)
        except ResetCodeWrong:
            return Pages.of(identity.settings).error("验证码已失效或已用完，请重新获取验证码", 422)
        if wrong is None:
            return Pages.of(identity.settings).reset_done()
        errors["code"] = f"验证码错误，还可以再试 {wrong.extensions['attempts_left']} 次"
    return Pages.of(identity.settings).reset_code(reset_id=reset_id, hint=PASSWORD_HINT, errors=errors, status=422)
