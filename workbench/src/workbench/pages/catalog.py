"""The catalog editor's and publisher's pages (事项目录): drafts and submitted versions to work on; one item's
versions; a version with its differences from the published one; a form editor for the national elements of a
draft (a new version, or a city's or county's new implementation of a provincial item); submit, return,
publish and withdraw as the catalog's roles allow; a refused change shows every rule it broke next to its field
(the catalog API answers each "may only ease" violation with the field it concerns). And the items' handling
guides (审查要点): searchable by every staff member of the region line, written by the item's editors.

What may be done is the catalog API's decision (roles, region, department); the pages only offer what the
person's roles make sensible and show the API's refusals."""

from __future__ import annotations

import copy
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from gov_web.app import csrf_protected, flash, render, session_of
from gov_web.display import ITEM_TYPES
from gov_web.gateway import problem
from workbench.pages.calls import api, json_or_none, staff

router = APIRouter()
EDITOR, PUBLISHER, ADMIN = "catalog_editor", "catalog_publisher", "platform_admin"
CODE_RE = re.compile(r"^[0-9A-Za-z]{1,64}$")
ITEMS = "/api/catalog/v1/items"
GUIDE_MAX = 10_000

SERVICE_OBJECTS = {"citizen": "自然人", "enterprise": "法人", "both": "自然人和法人"}
STAGES = {1: "咨询", 2: "收件", 3: "预审", 4: "受理", 5: "办理", 6: "结果反馈", 7: "电子证照反馈"}
DELIVERY = {"pickup": "窗口领取", "mail": "邮寄送达", "electronic": "电子送达"}
ORIGINAL_OR_COPY = {"original": "原件", "copy": "复印件", "original_and_copy": "原件和复印件"}
MATERIAL_FORMS = {"paper": "纸质", "electronic": "电子", "paper_or_electronic": "纸质或电子"}
VERSION_STATUS = {"draft": "草稿", "submitted": "待发布", "published": "已发布", "withdrawn": "已撤回"}

# The national elements the editor changes, by their path in the definition, with their Chinese names.
LABELS = {
    "name": "事项名称",
    "basic_code": "基本编码",
    "item_type": "事项类型",
    "legal_basis": "设定依据",
    "region": "实施区划",
    "department": "实施部门",
    "department.code": "实施部门编码",
    "department.name": "实施部门名称",
    "service_object": "服务对象",
    "keywords": "关键词",
    "life_events": "主题分类",
    "time_limit.statutory_days": "法定时限（工作日）",
    "time_limit.promised_days": "承诺时限（工作日）",
    "time_limit.unit": "时限单位",
    "time_limit": "办理时限",
    "fees": "收费",
    "materials": "申请材料",
    "form_schema": "申请表单",
    "process": "办理流程",
    "onsite_visits": "到现场次数",
    "onsite_reason": "到现场原因",
    "online_stages": "网上办理深度",
    "delivery": "送达方式",
    "appointment": "可预约",
    "contact.consultation_phone": "咨询电话",
    "contact.complaint_phone": "投诉电话",
    "contact.address": "办理地点",
    "contact": "联系方式",
    "result_license_type": "办理结果证照",
    "smart_approval": "智能审批",
    "smart_approval_rule": "智能审批规则",
}
MATERIAL_LABELS = {
    "required": "必交",
    "original_or_copy": "原件或复印件",
    "count": "份数",
    "form": "材料形式",
    "license_type": "可替代的电子证照",
    "note": "备注",
}
# The catalog's "may only ease" rules (catalog.domain) in Chinese.
RULES = {
    "must stay as in the inherited item (the standard)": "须与承接的上级事项一致（标准要素不可改）",
    "must lie below the inherited item's region": "实施区划须在上级事项的区划之下",
    "may only be shortened": "只能缩短，不能比上级事项长",
    "may only be reduced": "只能减少，不能比上级事项多",
    "stages online in the inherited item must stay online": "上级事项可网上办理的环节须保留",
    "an appointment offered by the inherited item must stay": "上级事项提供的预约须保留",
    "delivery options of the inherited item must stay": "上级事项的送达方式须保留",
    "a material may not become required that the inherited item does not require": "上级事项不要求的材料不能设为必交",
    "may not ask for more originals": "不能比上级事项要求更多原件",
    "forms accepted by the inherited item must stay accepted": "上级事项接受的材料形式须继续接受",
    "the e-license that replaces it must stay": "可替代该材料的电子证照须保留",
    "a fee may not be added": "不能增加收费项目",
    "a fee may only be lowered": "收费只能降低",
    "a form field may not become required": "不能把表单字段改为必填",
}
# The catalog's own checks of a definition (pydantic model errors, in English) in Chinese, by field.
MODEL_ERRORS = (
    ("0 on-site visits needs stages 1-6 online", "onsite_visits", "到现场次数为 0 时，须勾选第 1-6 个环节网上办理"),
    ("on-site visits need a reason", "onsite_reason", "需要到现场时请填写到现场原因"),
    ("material names must be unique", "materials.new.name", "材料名称不能重复"),
    ("the promised time limit may not exceed", "time_limit.promised_days", "承诺时限不能超过法定时限"),
    ("online stages are numbers", "online_stages", "请选择网上办理的环节"),
    ("unknown item type", "item_type", "请选择事项类型"),
)
MESSAGES = {
    "missing": "请填写{label}",
    "string_too_short": "请填写{label}",
    "too_short": "请填写{label}",
    "string_too_long": "{label}太长",
    "too_long": "{label}的条目太多",
    "greater_than_equal": "{label}太小",
    "less_than_equal": "{label}太大",
    "int_parsing": "{label}必须是整数",
    "literal_error": "请从列表中选择{label}",
}
FIXED = ("basic_code", "region", "department", "fees", "form_schema", "process", "smart_approval_rule")


def field_id(key: str) -> str:
    """The HTML id of an editor field (``time_limit.promised_days`` → ``e-time_limit-promised_days``)."""
    return "e-" + re.sub(r"[^0-9A-Za-z_]", "-", key)


# ---------------------------------------------------------------------------------------------------------
# Pure helpers (no I/O): the editor's form to a definition, the API's refusals to fields, the differences.


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _int(form: FormData, key: str, label: str, errors: dict[str, list[str]]) -> int | str:
    raw = _text(form, key)
    try:
        return int(raw)
    except ValueError:
        errors.setdefault(key, []).append(f"{label}必须是整数")
        return raw


def definition_from_form(
    defn: dict[str, Any], form: FormData
) -> tuple[dict[str, Any], dict[str, list[str]], list[int]]:
    """(the definition with the editor's changes, the fields the page already knows are wrong, and for each
    material of the new definition the form row it came from: -1 for the added one). The elements that make
    the implementation code (basic code, region, department) and the fees, form, process and smart-approval
    rule are kept as they are: they are not edited here."""
    out = copy.deepcopy(defn)
    errors: dict[str, list[str]] = {}
    out["name"] = _text(form, "name")
    out["item_type"] = _text(form, "item_type")
    out["service_object"] = _text(form, "service_object")
    out["legal_basis"] = [line.strip() for line in _text(form, "legal_basis").splitlines() if line.strip()]
    out["keywords"] = [k for k in re.split(r"[,，、\s]+", _text(form, "keywords")) if k]
    out["time_limit"] = {
        **(defn.get("time_limit") or {}),
        "statutory_days": _int(form, "time_limit.statutory_days", LABELS["time_limit.statutory_days"], errors),
        "promised_days": _int(form, "time_limit.promised_days", LABELS["time_limit.promised_days"], errors),
    }
    out["onsite_visits"] = _int(form, "onsite_visits", LABELS["onsite_visits"], errors)
    out["onsite_reason"] = _text(form, "onsite_reason") or None
    stages = [int(s) for s in form.getlist("online_stages") if isinstance(s, str) and s.isdigit()]
    out["online_stages"] = sorted({s for s in stages if s in STAGES})
    out["delivery"] = [d for d in DELIVERY if d in form.getlist("delivery")]
    out["appointment"] = _text(form, "appointment") == "true"
    out["smart_approval"] = _text(form, "smart_approval") == "true"
    out["result_license_type"] = _text(form, "result_license_type") or None
    out["contact"] = {
        **(defn.get("contact") or {}),
        "consultation_phone": _text(form, "contact.consultation_phone"),
        "complaint_phone": _text(form, "contact.complaint_phone"),
        "address": _text(form, "contact.address") or None,
    }
    if not out["delivery"]:
        errors.setdefault("delivery", []).append("请至少选择一种送达方式")
    materials: list[dict[str, Any]] = []
    rows: list[int] = []
    by_name = {m.get("name"): m for m in defn.get("materials") or []}
    for i in range(len(defn.get("materials") or [])):
        name = _text(form, f"materials.{i}.name")
        base = by_name.get(name)
        if base is None or _text(form, f"materials.{i}.remove") == "true":
            continue
        materials.append(_material(form, f"materials.{i}", base, errors))
        rows.append(i)
    new_name = _text(form, "materials.new.name")
    if new_name:
        materials.append(_material(form, "materials.new", {"name": new_name}, errors))
        rows.append(-1)
    out["materials"] = materials
    return out, errors, rows


def _material(form: FormData, prefix: str, base: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    original = _text(form, f"{prefix}.original_or_copy")
    shape = _text(form, f"{prefix}.form")
    return {
        **base,
        "required": _text(form, f"{prefix}.required") == "true",
        "original_or_copy": original if original in ORIGINAL_OR_COPY else base.get("original_or_copy", "original"),
        "count": _int(form, f"{prefix}.count", f"{base['name']}的份数", errors),
        "form": shape if shape in MATERIAL_FORMS else base.get("form", "paper_or_electronic"),
        "license_type": _text(form, f"{prefix}.license_type") or None,
        "note": _text(form, f"{prefix}.note") or None,
    }


def _shown(value: Any) -> str:
    if value is None:
        return "无"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list | tuple):
        return "、".join(_shown(v) for v in value) or "无"
    return str(value)


def violation_fields(
    violations: list[dict[str, Any]], materials: list[dict[str, Any]], rows: list[int]
) -> dict[str, list[str]]:
    """Editor field → the rules it breaks, in Chinese, with the inherited and the proposed value. A material
    (``materials[<name>]``) is found by its name among ``materials`` (the definition sent) and shown at its
    form row (``rows``); what is not edited here is collected under ``fixed``."""
    out: dict[str, list[str]] = {}
    index = {m.get("name"): rows[i] if i < len(rows) else -1 for i, m in enumerate(materials)}
    for v in violations:
        key = _violation_key(str(v.get("field") or ""), index)
        message = violation_message(v)
        out.setdefault(key, []).append(message if key != "fixed" else f"{label_of(str(v.get('field')))}：{message}")
    return out


# The codes a rule's inherited or proposed value may hold, in Chinese.
VALUE_NAMES: dict[str, str] = {
    **DELIVERY,
    **ORIGINAL_OR_COPY,
    **MATERIAL_FORMS,
    **SERVICE_OBJECTS,
    "optional": "非必交",
    "required": "必交",
}


def _named(field: str, value: Any) -> Any:
    """``value`` with the codes it holds named (online stages by their names, delivery options...)."""
    if isinstance(value, list | tuple):
        return [_named(field, v) for v in value]
    if field == "online_stages" and isinstance(value, int) and not isinstance(value, bool):
        return STAGES.get(value, value)
    return VALUE_NAMES.get(value, value) if isinstance(value, str) else value


def violation_message(v: dict[str, Any]) -> str:
    """One broken rule in Chinese, with the inherited and the proposed value."""
    rule, field = str(v.get("rule") or ""), str(v.get("field") or "")
    inherited, proposed = _shown(_named(field, v.get("inherited"))), _shown(_named(field, v.get("proposed")))
    return f"{RULES.get(rule, rule)}（上级事项：{inherited}；本次：{proposed}）"


def _violation_key(path: str, index: dict[Any, int]) -> str:
    found = re.fullmatch(r"materials\[(.+?)\](?:\.(\w+))?", path)
    if found:
        row = index.get(found.group(1))
        part = found.group(2) or "required"
        if row is None:
            return "materials.new.name"
        return f"materials.{'new' if row < 0 else row}.{part}"
    if path in LABELS and not path.startswith(FIXED):
        return path
    return "fixed"


def validation_fields(
    errors: list[dict[str, Any]], rows: list[int], prefix: str = "/definition"
) -> dict[str, list[str]]:
    """Editor field → message for the API's validation errors (JSON pointers into the definition sent)."""
    out: dict[str, list[str]] = {}
    for err in errors:
        pointer = str(err.get("pointer") or "")
        message = str(err.get("message") or "")
        parts = pointer.removeprefix(prefix).strip("/").split("/") if pointer.startswith(prefix) else []
        key, text = _validation_key(parts, message, str(err.get("code") or ""), rows)
        out.setdefault(key, []).append(text)
    return out


def _validation_key(parts: list[str], message: str, code: str, rows: list[int]) -> tuple[str, str]:
    for needle, key, text in MODEL_ERRORS:
        if needle in message:
            return key, text
    if parts[:1] == ["materials"] and len(parts) >= 3 and parts[1].isdigit():
        i = int(parts[1])
        row = rows[i] if i < len(rows) else -1
        key = f"materials.{'new' if row < 0 else row}.{parts[2]}"
        label = MATERIAL_LABELS.get(parts[2], parts[2])
    else:
        key = ".".join(p for p in parts[:2] if not p.isdigit()) or "fixed"
        if key not in LABELS or key.startswith(FIXED):
            key = parts[0] if parts and parts[0] in LABELS and not parts[0].startswith(FIXED) else "fixed"
        label = LABELS.get(key, "事项要素")
    return key, MESSAGES.get(code, "{label}填写有误").format(label=label)


def flatten(defn: dict[str, Any]) -> dict[str, str]:
    """Every element of a definition as (Chinese path → shown value), materials and fees by their name."""
    out: dict[str, str] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{path}.{k}" if path else str(k), v)
        elif isinstance(value, list | tuple) and value and all(isinstance(v, dict) and "name" in v for v in value):
            for v in value:
                walk(f"{path}[{v['name']}]", {k: x for k, x in v.items() if k != "name"})
        else:
            out[path] = _shown(value)

    walk("", defn)
    return out


def label_of(path: str) -> str:
    """A flattened path in Chinese where its parts are known (``materials[身份证].count`` → ``申请材料[身份证].份数``)."""
    if path in LABELS:
        return LABELS[path]
    found = re.fullmatch(r"(\w+)\[(.+?)\](?:\.(\w+))?", path)
    if found and found.group(1) in LABELS:
        part = found.group(3)
        tail = f".{MATERIAL_LABELS.get(part, part)}" if part else ""
        return f"{LABELS[found.group(1)]}[{found.group(2)}]{tail}"
    head = path.split(".", 1)[0]
    return f"{LABELS[head]}.{path.split('.', 1)[1]}" if head in LABELS and "." in path else path


def differences(published: dict[str, Any] | None, draft: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(element, published value, this version's value) for every element that differs."""
    before, after = flatten(published or {}), flatten(draft)
    keys = list(dict.fromkeys([*before, *after]))
    return [(label_of(k), before.get(k, "—"), after.get(k, "—")) for k in keys if before.get(k) != after.get(k)]


# ---------------------------------------------------------------------------------------------------------
# Pages


def _roles(me: dict[str, Any]) -> set[str]:
    return set(me.get("roles") or [])


def _catalog_staff(me: dict[str, Any]) -> bool:
    return bool(_roles(me) & {EDITOR, PUBLISHER, ADMIN})


def _refused(request: Request, me: dict[str, Any]) -> Response:
    return render(
        request,
        "web/error.html",
        {"title": "无权访问", "message": "事项目录管理仅对事项编辑和发布人员开放。", "me": me},
        403,
    )


def _not_found(request: Request, me: dict[str, Any]) -> Response:
    return render(
        request,
        "web/error.html",
        {"title": "页面不存在", "message": "您访问的事项不存在或不在您的管理范围内。", "me": me},
        404,
    )


def _detail(resp: Any) -> str:
    body = problem(resp)
    return str(body.get("detail") or body.get("title") or resp.status_code)


@router.get("/catalog", include_in_schema=False)
async def queue(
    request: Request,
    q: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    me = await staff(request)
    if not _catalog_staff(me):
        return _refused(request, me)
    q = q.strip()
    drafts = await json_or_none(request, f"{ITEMS}/-/queue", status="draft", limit=50)
    submitted = await json_or_none(request, f"{ITEMS}/-/queue", status="submitted", limit=50)
    region = me.get("region") or None
    published = await json_or_none(request, ITEMS, q=q or None, available_in=region, limit=20)
    return render(
        request,
        "catalog/queue.html",
        {
            "me": me,
            "drafts": (drafts or {}).get("items", []),
            "submitted": (submitted or {}).get("items", []),
            "published": (published or {}).get("items", []),
            "q": q,
            "status_names": VERSION_STATUS,
        },
    )


async def _versions(request: Request, code: str) -> list[dict[str, Any]] | None:
    found = await json_or_none(request, f"{ITEMS}/{code}/versions")
    return list(found["items"]) if isinstance(found, dict) and found.get("items") else None


@router.get("/catalog/items/{code}", include_in_schema=False)
async def item_page(request: Request, code: str) -> Response:
    me = await staff(request)
    if not _catalog_staff(me):
        return _refused(request, me)
    versions = await _versions(request, code) if CODE_RE.match(code) else None
    if not versions:
        return _not_found(request, me)
    latest = versions[-1]
    current = next((v for v in versions if v.get("current")), None)
    return render(
        request,
        "catalog/item.html",
        {
            "me": me,
            "code": code,
            "versions": versions,
            "latest": latest,
            "current": current,
            "may_edit": bool(_roles(me) & {EDITOR, ADMIN}),
            "may_publish": bool(_roles(me) & {PUBLISHER, ADMIN}),
            "status_names": VERSION_STATUS,
        },
    )


@router.get("/catalog/items/{code}/versions/{version}", include_in_schema=False)
async def version_page(request: Request, code: str, version: int) -> Response:
    me = await staff(request)
    if not _catalog_staff(me):
        return _refused(request, me)
    versions = await _versions(request, code) if CODE_RE.match(code) else None
    shown = next((v for v in versions or [] if v.get("version") == version), None)
    if shown is None:
        return _not_found(request, me)
    current = next((v for v in versions or [] if v.get("current")), None)
    inherited = None
    if shown.get("inherits") and CODE_RE.match(str(shown["inherits"])):
        inherited = await json_or_none(request, f"{ITEMS}/{shown['inherits']}")
    compared = current if current and current["version"] != version else None
    return render(
        request,
        "catalog/version.html",
        {
            "me": me,
            "code": code,
            "v": shown,
            "current": current,
            "compared": compared,
            "diff": differences(compared["definition"] if compared else None, shown["definition"]),
            "inherited": inherited,
            "may_edit": bool(_roles(me) & {EDITOR, ADMIN}),
            "may_publish": bool(_roles(me) & {PUBLISHER, ADMIN}),
            "status_names": VERSION_STATUS,
            "refusal": session_of(request).pop("catalog_refusal") or None,
            "labels": LABELS,
            "item_types": ITEM_TYPES,
        },
    )


# The fields the editor shows (an error of any other element is shown with the elements not edited here).
EDITABLE = frozenset(
    {
        "name",
        "item_type",
        "service_object",
        "legal_basis",
        "keywords",
        "time_limit.statutory_days",
        "time_limit.promised_days",
        "onsite_visits",
        "onsite_reason",
        "online_stages",
        "delivery",
        "appointment",
        "smart_approval",
        "result_license_type",
        "contact.consultation_phone",
        "contact.complaint_phone",
        "contact.address",
    }
)
MATERIAL_FIELD = re.compile(r"^materials\.(\d+|new)\.(required|original_or_copy|count|form|license_type|note|name)$")


def shown_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """``errors`` with every key the editor has no field for moved to ``fixed`` (so none is lost)."""
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        where = key if key in EDITABLE or MATERIAL_FIELD.match(key) else "fixed"
        out.setdefault(where, []).extend(messages)
    return out


def _editor_context(
    me: dict[str, Any], defn: dict[str, Any], errors: dict[str, list[str]], **extra: Any
) -> dict[str, Any]:
    errors = shown_errors(errors)
    summary = [(field_id(k), m) for k, ms in errors.items() for m in ms]
    return {
        "me": me,
        "defn": defn,
        "errors": errors,
        "summary": summary,
        "fid": field_id,
        "labels": LABELS,
        "item_types": ITEM_TYPES,
        "service_objects": SERVICE_OBJECTS,
        "stages": STAGES,
        "delivery": DELIVERY,
        "original_or_copy": ORIGINAL_OR_COPY,
        "material_forms": MATERIAL_FORMS,
        "shown": _shown,
        **extra,
    }


@router.get("/catalog/items/{code}/versions/{version}/edit", include_in_schema=False)
async def edit_page(request: Request, code: str, version: int) -> Response:
    me = await staff(request)
    if not _roles(me) & {EDITOR, ADMIN}:
        return _refused(request, me)
    found = await json_or_none(request, f"{ITEMS}/{code}/versions/{version}") if CODE_RE.match(code) else None
    if not isinstance(found, dict) or found.get("status") != "draft":
        return _not_found(request, me)
    return render(
        request,
        "catalog/edit.html",
        _editor_context(me, found["definition"], {}, code=code, version=version, inherits=found.get("inherits")),
    )


@router.post(
    "/catalog/items/{code}/versions/{version}/edit", include_in_schema=False, dependencies=[Depends(csrf_protected)]
)
async def save_draft(request: Request, code: str, version: int) -> Response:
    me = await staff(request)
    if not _roles(me) & {EDITOR, ADMIN}:
        return _refused(request, me)
    found = await json_or_none(request, f"{ITEMS}/{code}/versions/{version}") if CODE_RE.match(code) else None
    if not isinstance(found, dict) or found.get("status") != "draft":
        return _not_found(request, me)
    form = await request.form()
    defn, errors, rows = definition_from_form(found["definition"], form)
    context = {"code": code, "version": version, "inherits": found.get("inherits")}
    if not errors:
        resp = await api(request, "PUT", f"{ITEMS}/{code}/versions/{version}", json={"definition": defn})
        if resp.status_code == 200:
            flash(request, f"第 {version} 版草稿已保存。")
            return RedirectResponse(f"/catalog/items/{code}/versions/{version}", status_code=303)
        if resp.status_code == 404:
            return _not_found(request, me)
        errors = refusal_fields(resp, defn, rows)
    return render(request, "catalog/edit.html", _editor_context(me, defn, errors, **context), 422)


def refusal_fields(resp: Any, defn: dict[str, Any], rows: list[int]) -> dict[str, list[str]]:
    """The catalog's refusal of a definition as editor field → messages."""
    body = problem(resp)
    if body.get("violations"):
        return violation_fields(body["violations"], defn.get("materials") or [], rows)
    if body.get("errors"):
        return validation_fields(body["errors"], rows)
    return {"fixed": ["保存未成功：" + _detail(resp)]}


@router.post("/catalog/items/{code}/versions", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def new_version(request: Request, code: str) -> Response:
    """The next version as a draft, starting from the latest one; then its editor."""
    me = await staff(request)
    if not _roles(me) & {EDITOR, ADMIN}:
        return _refused(request, me)
    versions = await _versions(request, code) if CODE_RE.match(code) else None
    if not versions:
        return _not_found(request, me)
    resp = await api(request, "POST", f"{ITEMS}/{code}/versions", json={"definition": versions[-1]["definition"]})
    if resp.status_code == 201:
        made = resp.json()
        flash(request, f"已起草第 {made['version']} 版，请修改后保存。")
        return RedirectResponse(f"/catalog/items/{code}/versions/{made['version']}/edit", status_code=303)
    flash(request, _refusal(resp, "起草新版本")["message"])
    return RedirectResponse(f"/catalog/items/{code}", status_code=303)


ACTIONS = {
    "submit": ("提交审核", "已提交，等待发布人员审核发布。"),
    "return": ("退回修改", "已退回编辑人员修改。"),
    "publish": ("发布", "已发布，办事人和各系统即可看到新版本。"),
}


@router.post(
    "/catalog/items/{code}/versions/{version}/{action}",
    include_in_schema=False,
    dependencies=[Depends(csrf_protected)],
)
async def version_action(request: Request, code: str, version: int, action: str) -> Response:
    me = await staff(request)
    if action not in ACTIONS or not CODE_RE.match(code) or not _catalog_staff(me):
        return _not_found(request, me)
    resp = await api(request, "POST", f"{ITEMS}/{code}/versions/{version}/{action}")
    back = f"/catalog/items/{code}/versions/{version}"
    if resp.status_code == 200:
        flash(request, ACTIONS[action][1])
        return RedirectResponse(back, status_code=303)
    if resp.status_code == 404:
        return _not_found(request, me)
    session_of(request).set("catalog_refusal", _refusal(resp, ACTIONS[action][0]))
    return RedirectResponse(back + "#actions", status_code=303)


def _refusal(resp: Any, what: str) -> dict[str, Any]:
    """An action's refusal as the version page shows it: a sentence and every rule broken, by element."""
    body = problem(resp)
    slug = str(body.get("type") or "").rsplit(":", 1)[-1]
    reasons = {
        "catalog-region-out-of-scope": "该事项不在您的区划范围内",
        "catalog-department-out-of-scope": "该事项属于其他部门",
        "forbidden": "您的角色不能执行此操作",
        "catalog-invalid-transition": "该版本当前状态不允许此操作",
        "catalog-inheritance-violation": "与承接的上级事项相比，有要素不符合“只能更便民”的规则",
        "catalog-inherited-item-missing": "承接的上级事项尚未发布",
        "invalid-smart-approval-rule": "智能审批规则与事项不符",
    }
    violations = [(label_of(str(v.get("field") or "")), violation_message(v)) for v in body.get("violations") or []]
    return {"message": f"{what}未成功：{reasons.get(slug, _detail(resp))}", "violations": violations}


@router.post("/catalog/items/{code}/withdraw", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def withdraw(request: Request, code: str) -> Response:
    me = await staff(request)
    if not CODE_RE.match(code) or not _catalog_staff(me):
        return _not_found(request, me)
    resp = await api(request, "POST", f"{ITEMS}/{code}/withdraw")
    if resp.status_code == 200:
        flash(request, "事项已撤回，不再受理新的申请。")
    elif resp.status_code == 404:
        return _not_found(request, me)
    else:
        flash(request, _refusal(resp, "撤回")["message"])
    return RedirectResponse(f"/catalog/items/{code}", status_code=303)


# ---------------------------------------------------------------------------------------------------------
# A new implementation (实施清单) of a higher region's item by the editor's own region and department.


async def _my_department(request: Request, me: dict[str, Any]) -> dict[str, Any] | None:
    """The editor's department (credit code and name) from identity's departments of their region."""
    region = me.get("region") or ""
    if not re.fullmatch(r"\d{6}", region) or not me.get("department"):
        return None
    cursor = None
    for _ in range(5):
        page = await json_or_none(request, "/api/identity/v1/departments", region=region, limit=200, cursor=cursor)
        if not page:
            return None
        for d in page.get("items", []):
            if str(d.get("id")) == str(me["department"]) and d.get("code"):
                return dict(d)
        cursor = page.get("next_cursor")
        if not cursor:
            return None
    return None


async def _implementation_start(
    request: Request, me: dict[str, Any], inherits: str
) -> tuple[dict[str, Any] | None, str]:
    """(the parent's definition made the editor's region's and department's, or None with the reason)."""
    parent = await json_or_none(request, f"{ITEMS}/{inherits}") if CODE_RE.match(inherits) else None
    if not isinstance(parent, dict):
        return None, "承接的上级事项不存在或未发布。"
    department = await _my_department(request, me)
    if department is None:
        return None, "您的账号没有实施部门，请由实施部门的事项编辑人员起草实施清单。"
    defn = copy.deepcopy(parent["definition"])
    defn["region"] = me["region"]
    defn["department"] = {"code": department["code"], "name": department["name"]}
    return defn, ""


@router.get("/catalog/implement/{inherits}", include_in_schema=False)
async def implement_page(request: Request, inherits: str) -> Response:
    me = await staff(request)
    if not _roles(me) & {EDITOR, ADMIN}:
        return _refused(request, me)
    defn, why = await _implementation_start(request, me, inherits)
    if defn is None:
        return render(request, "web/error.html", {"title": "无法起草实施清单", "message": why, "me": me}, 409)
    return render(request, "catalog/edit.html", _editor_context(me, defn, {}, inherits=inherits, new=True))


@router.post("/catalog/implement/{inherits}", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def implement(request: Request, inherits: str) -> Response:
    me = await staff(request)
    if not _roles(me) & {EDITOR, ADMIN}:
        return _refused(request, me)
    start, why = await _implementation_start(request, me, inherits)
    if start is None:
        return render(request, "web/error.html", {"title": "无法起草实施清单", "message": why, "me": me}, 409)
    form = await request.form()
    defn, errors, rows = definition_from_form(start, form)
    if not errors:
        resp = await api(request, "POST", ITEMS, json={"inherits": inherits, "definition": defn})
        if resp.status_code == 201:
            made = resp.json()
            flash(request, "实施清单草稿已创建。")
            return RedirectResponse(
                f"/catalog/items/{made['implementation_code']}/versions/{made['version']}", status_code=303
            )
        if problem(resp).get("implementation_code"):
            errors = {"fixed": ["本地区本部门已有该事项的实施清单，请在事项页起草新版本。"]}
        else:
            errors = refusal_fields(resp, defn, rows)
    return render(request, "catalog/edit.html", _editor_context(me, defn, errors, inherits=inherits, new=True), 422)


# ---------------------------------------------------------------------------------------------------------
# Handling guides (审查要点)


@router.get("/guides", include_in_schema=False)
async def guides(
    request: Request,
    q: Annotated[str, Query(max_length=50)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    me = await staff(request)
    q = q.strip()
    found = await json_or_none(request, "/api/catalog/v1/review-guides", q=q or None, cursor=cursor or None, limit=20)
    if found is None and cursor:  # a stale or forged cursor: the first page
        return RedirectResponse("/guides", status_code=303)
    return render(
        request,
        "catalog/guides.html",
        {
            "me": me,
            "q": q,
            "guides": (found or {}).get("items", []),
            "next_cursor": (found or {}).get("next_cursor"),
            "may_edit": bool(_roles(me) & {EDITOR, ADMIN}),
        },
    )


def _guide_name(guide: dict[str, Any] | None, item: dict[str, Any] | None, code: str) -> str:
    if guide:
        return str(guide.get("item_name") or code)
    return str(((item or {}).get("definition") or {}).get("name") or code)


@router.get("/guides/{code}", include_in_schema=False)
async def guide_page(request: Request, code: str) -> Response:
    me = await staff(request)
    if not CODE_RE.match(code):
        return _not_found(request, me)
    guide = await json_or_none(request, f"/api/catalog/v1/items/{code}/review-guide")
    may_edit = bool(_roles(me) & {EDITOR, ADMIN})
    item = None
    if guide is None:
        # No guide yet: an editor may write the first one of an item they may see.
        versions = await _versions(request, code) if may_edit else None
        if not versions:
            return _not_found(request, me)
        item = versions[-1]
    return render(
        request,
        "catalog/guide.html",
        {"me": me, "code": code, "guide": guide, "name": _guide_name(guide, item, code), "may_edit": may_edit}
        | {"errors": {}, "text": None},
    )


@router.post("/guides/{code}", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def write_guide(request: Request, code: str) -> Response:
    me = await staff(request)
    if not CODE_RE.match(code) or not _roles(me) & {EDITOR, ADMIN}:
        return _not_found(request, me)
    form = await request.form()
    text = str(form.get("text") or "").strip()
    revision = str(form.get("revision") or "0")
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "请填写审查要点"
    elif len(text) > GUIDE_MAX:
        errors["text"] = f"审查要点最多 {GUIDE_MAX} 字"
    if not errors:
        body = {"text": text, "expected_revision": int(revision) if revision.isdigit() else 0}
        resp = await api(request, "PUT", f"/api/catalog/v1/items/{code}/review-guide", json=body)
        if resp.status_code == 200:
            flash(request, "审查要点已保存。")
            return RedirectResponse(f"/guides/{code}", status_code=303)
        if resp.status_code == 404:
            return _not_found(request, me)
        slug = str(problem(resp).get("type") or "").rsplit(":", 1)[-1]
        errors["text"] = {
            "catalog-review-guide-changed": "其他同事刚修改了审查要点，请刷新页面查看后再修改",
            "catalog-region-out-of-scope": "该事项不在您的区划范围内",
            "catalog-department-out-of-scope": "该事项属于其他部门",
        }.get(slug, "保存未成功：" + _detail(resp))
    guide = await json_or_none(request, f"/api/catalog/v1/items/{code}/review-guide")
    versions = None if guide else await _versions(request, code)
    return render(
        request,
        "catalog/guide.html",
        {
            "me": me,
            "code": code,
            "guide": guide,
            "name": _guide_name(guide, versions[-1] if versions else None, code),
            "may_edit": True,
            "errors": errors,
            "text": text,
        },
        422,
    )
