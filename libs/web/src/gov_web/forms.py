"""Forms generated from a JSON Schema (an item's application form): one field per property with its label
(``title``), kind (text, long text, number, date, choice, yes/no), required mark and hints; the posted
strings turned back into typed JSON; and errors, the front-end's own (a number that is not one) or the
API's (RFC 9457 ``errors`` with JSON pointers), put next to their field in plain Chinese."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

LONG_TEXT = 200  # a string allowed to be longer than this is a textarea
RADIO_LIMIT = 5  # an enum of at most this many options is radio buttons, a longer one a select


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text | textarea | integer | number | date | radio | select | checkbox
    required: bool
    value: str = ""
    options: list[str] = field(default_factory=list)
    hint: str = ""
    error: str = ""
    max_length: int | None = None

    @property
    def id(self) -> str:
        return f"f-{self.name}"


def fields_of(schema: dict[str, Any], values: dict[str, Any] | None = None) -> list[Field]:
    """The fields of an object schema, in its properties' order, holding ``values``."""
    values = values or {}
    required = set(schema.get("required") or [])
    out: list[Field] = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kind, hint = _kind(prop), _hint(prop)
        value = values.get(name)
        shown = "" if value is None else ("true" if value is True else "" if value is False else str(value))
        out.append(
            Field(
                name=name,
                label=str(prop.get("title") or name),
                kind=kind,
                required=name in required,
                value=shown,
                options=[str(o) for o in prop.get("enum") or []],
                hint=hint,
                max_length=prop.get("maxLength"),
            )
        )
    return out


def _kind(prop: dict[str, Any]) -> str:
    if prop.get("enum"):
        return "radio" if len(prop["enum"]) <= RADIO_LIMIT else "select"
    kind = prop.get("type")
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "checkbox"
    if prop.get("format") == "date":
        return "date"
    if (prop.get("maxLength") or 0) > LONG_TEXT:
        return "textarea"
    return "text"


def _hint(prop: dict[str, Any]) -> str:
    if prop.get("description"):
        return str(prop["description"])
    if prop.get("format") == "date":
        return "格式：年-月-日，例如 2026-01-31"
    if prop.get("type") == "integer":
        return "请填写整数"
    return ""


def parse(schema: dict[str, Any], form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """(the typed values the person entered, the fields the front-end already knows are wrong). Empty
    fields are left out (a draft may be incomplete; the service says what is required)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields_of(schema):
        raw = form.get(f.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if f.kind == "checkbox":
            data[f.name] = text == "true"
            continue
        if not text:
            continue
        if f.kind == "integer":
            try:
                data[f.name] = int(text)
            except ValueError:
                errors[f.name] = f"{f.label}必须是整数"
                data[f.name] = text
        elif f.kind == "number":
            try:
                data[f.name] = float(text)
            except ValueError:
                errors[f.name] = f"{f.label}必须是数字"
                data[f.name] = text
        else:
            data[f.name] = text
    return data, errors


MESSAGES = {
    "required": "请填写{label}",
    "pattern": "{label}的格式不正确",
    "enum": "请从列表中选择{label}",
    "minLength": "{label}太短",
    "maxLength": "{label}太长",
    "minimum": "{label}太小",
    "maximum": "{label}太大",
    "format": "{label}的格式不正确",
    "type": "{label}的类型不正确",
}


def api_errors(schema: dict[str, Any], errors: list[dict[str, Any]]) -> dict[str, str]:
    """Field name -> message for the ``errors`` (or ``form_errors``) of an API answer, each in Chinese."""
    labels = {f.name: f for f in fields_of(schema)}
    out: dict[str, str] = {}
    for err in errors:
        pointer = str(err.get("pointer") or "")
        name = pointer.removeprefix("/form").lstrip("/").split("/", 1)[0]
        f = labels.get(name)
        if f is None:
            out.setdefault("", "表单内容有误，请检查后重试")
            continue
        code = str(err.get("code") or err.get("type") or "")
        message = MESSAGES.get(code, "{label}填写有误").format(label=f.label)
        if code == "pattern" and f.hint:
            message += f"（{f.hint}）"
        out.setdefault(name, message)
    return out


def with_errors(fields: list[Field], errors: dict[str, str]) -> list[Field]:
    for f in fields:
        f.error = errors.get(f.name, "")
    return fields
