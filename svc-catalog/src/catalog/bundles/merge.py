"""Merging the items of a bundle into one materials list and one form. Pure functions."""

from __future__ import annotations

from typing import Any

from catalog.bundles.schemas import BundleDefinition, BundleItem, MergedMaterial
from catalog.items.schemas import ItemDefinition, Material
from gov_contracts.catalog import MaterialUse

_COPY_RANK = {"copy": 0, "original": 1, "original_and_copy": 2}


def material_key(m: Material) -> str:
    """Two materials are the same document when they name the same e-license type or the same name."""
    return f"license:{m.license_type}" if m.license_type else "name:" + "".join(m.name.split())


def merge_materials(items: list[tuple[str, ItemDefinition]]) -> list[MergedMaterial]:
    """One entry per distinct document: required if any item requires it, the larger count, the stricter
    original/copy demand, the items that use it and each item's material it stands for (``satisfies``:
    what an application of the bundle hands each item)."""
    merged: dict[str, MergedMaterial] = {}
    for code, item in items:
        for m in item.materials:
            key = material_key(m)
            seen = merged.get(key)
            if seen is None:
                use = MaterialUse(implementation_code=code, name=m.name)
                merged[key] = MergedMaterial(**m.model_dump(), used_by=(code,), satisfies=(use,))
                continue
            merged[key] = seen.model_copy(
                update={
                    "required": seen.required or m.required,
                    "count": max(seen.count, m.count),
                    "original_or_copy": max(seen.original_or_copy, m.original_or_copy, key=_COPY_RANK.__getitem__),
                    "form": seen.form if m.form == seen.form else "paper_or_electronic",
                    "used_by": seen.used_by if code in seen.used_by else (*seen.used_by, code),
                    "satisfies": (*seen.satisfies, MaterialUse(implementation_code=code, name=m.name)),
                }
            )
    return list(merged.values())


class FormConflict(ValueError):
    def __init__(self, field: str, codes: list[str]) -> None:
        super().__init__(f"form field {field!r} is defined differently by {', '.join(codes)}")
        self.field = field
        self.codes = codes


def merge_forms(items: list[tuple[str, ItemDefinition]]) -> dict[str, Any]:
    """One form with the union of the items' fields; a field two items define differently is refused."""
    properties: dict[str, Any] = {}
    owner: dict[str, str] = {}
    required: list[str] = []
    for code, item in items:
        for name, schema in item.form_schema.get("properties", {}).items():
            if name in properties and properties[name] != schema:
                raise FormConflict(name, [owner[name], code])
            properties.setdefault(name, schema)
            owner.setdefault(name, code)
        for name in item.form_schema.get("required", []):
            if name not in required:
                required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def build_definition(
    *,
    code: str,
    name: str,
    region: str,
    life_event: str,
    description: str,
    items: list[tuple[str, int, ItemDefinition]],
) -> BundleDefinition:
    pairs = [(c, d) for c, _, d in items]
    return BundleDefinition(
        code=code,
        name=name,
        region=region,
        life_event=life_event,
        description=description,
        items=[
            BundleItem(
                implementation_code=c,
                version=v,
                name=d.name,
                department_name=d.department.name,
                promised_days=d.time_limit.promised_days,
            )
            for c, v, d in items
        ],
        materials=merge_materials(pairs),
        form_schema=merge_forms(pairs),
        promised_days=max(d.time_limit.promised_days for _, _, d in items),
        fully_online=all(d.fully_online for _, _, d in items),
    )
