"""Usage statistics (用户管理中心): what people search for on the portal and which items' guides they read and
apply for, anonymous and summed over every front-end, for the staff's region subtree (the catalog's
``GET /v1/usage-statistics``; supervisors, catalog editors and publishers, platform admins)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gov_web.app import render
from workbench import display
from workbench.pages.calls import api, staff

router = APIRouter()
READERS = frozenset({"supervisor", "catalog_editor", "catalog_publisher", "platform_admin"})
REGION_RE = re.compile(r"^45\d{4}$")


@router.get("/usage", include_in_schema=False)
async def usage(request: Request, region: Annotated[str, Query(max_length=12)] = "") -> Response:
    me = await staff(request)
    if not READERS & set(me.get("roles", [])):
        message = "使用统计仅对监察人员、事项目录编辑和发布人员开放。"
        return render(request, "web/error.html", {"title": "无权访问", "message": message, "me": me}, 403)
    wanted = region if REGION_RE.match(region) else None
    resp = await api(request, "GET", "/api/catalog/v1/usage-statistics", params={"region": wanted} if wanted else {})
    if resp.status_code == 403:
        message = "您只能查看本辖区及下级地区的使用统计。"
        return render(request, "web/error.html", {"title": "无权访问", "message": message, "me": me}, 403)
    figures = resp.json() if resp.status_code == 200 else {}
    items = figures.get("top_items", [])
    chart = display.bar_chart([(str(i["name"]), float(i["views"])) for i in items], counts=True)
    return render(request, "usage.html", {"me": me, "figures": figures, "items": items, "chart": chart})
