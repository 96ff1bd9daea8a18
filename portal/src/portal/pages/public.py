"""Pages anyone may open without signing in: home, search, the item guide, tracking by tracking number,
licence verification (the QR code's target)."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gov_web.app import public_json, render, runtime
from portal import guide, usage

router = APIRouter()
REGION_COOKIE = "portal_region"
TRACKING_RE = re.compile(r"^[0-9A-Za-z-]{4,40}$")
QUERY_CODE_RE = re.compile(r"^[0-9A-Za-z]{4,20}$")
IDENTIFIER_RE = re.compile(r"^[0-9A-Za-z_.:-]{4,200}$")


def current_region(request: Request) -> str:
    chosen = request.cookies.get(REGION_COOKIE, "")
    if chosen in guide.REGIONS:
        return chosen
    return str(getattr(runtime(request).settings, "default_region", "450000"))


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    region = current_region(request)
    web = runtime(request)
    popular, events, departments, browse = await asyncio.gather(
        usage.top_items(web.db, region),
        public_json(request, "/api/catalog/v1/life-events", region=region),
        public_json(request, "/api/catalog/v1/departments", region=region),
        public_json(request, "/api/catalog/v1/items", available_in=region, limit=8),
    )
    if not popular:  # no usage yet: the first items available here
        popular = [
            {"code": i["implementation_code"], "name": i["name"], "region": i["region"]}
            for i in (browse or {}).get("items", [])
        ]
    return render(
        request,
        "home.html",
        {
            "region": region,
            "popular": popular[:8],
            "life_events": (events or {}).get("items", [])[:12],
            "departments": (departments or {}).get("items", [])[:12],
        },
    )


@router.get("/region", include_in_schema=False)
async def choose_region(request: Request, code: str = "", next: str = "/") -> Response:
    from gov_web.oidc import safe_next

    response = RedirectResponse(safe_next(next), status_code=303)
    if code in guide.REGIONS:
        response.set_cookie(
            REGION_COOKIE,
            code,
            max_age=365 * 86400,
            samesite="lax",
            httponly=True,
            secure=runtime(request).settings.cookie_secure,
        )
    return response


@router.get("/search", include_in_schema=False)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=50)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    department: Annotated[str, Query(max_length=40)] = "",
    life_event: Annotated[str, Query(max_length=50)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    region = region if region in guide.REGIONS else current_region(request)
    params: dict[str, Any] = {"available_in": region, "limit": 20}
    if q.strip():
        params["q"] = q.strip()
    if department:
        params["department"] = department
    if life_event:
        params["life_event"] = life_event
    if cursor:
        params["cursor"] = cursor
    page, departments = await asyncio.gather(
        public_json(request, "/api/catalog/v1/items", **params),
        public_json(request, "/api/catalog/v1/departments", region=region),
    )
    if q.strip() and not cursor:
        await usage.count_search(runtime(request).db, q)
    items = guide.rank((page or {}).get("items", []), region)
    return render(
        request,
        "search.html",
        {
            "q": q,
            "region": region,
            "department": department,
            "life_event": life_event,
            "items": items,
            "next_cursor": (page or {}).get("next_cursor"),
            "departments": (departments or {}).get("items", []),
            "failed": page is None,
        },
    )


@router.get("/rankings", include_in_schema=False)
async def rankings(request: Request, region: Annotated[str, Query(max_length=12)] = "") -> Response:
    """排行榜, open to everyone: departments ranked by their 好差评 satisfaction (evaluation's public ranking) and
    the items people use most (高频事项, the catalog's anonymous counts of every front-end) in the region."""
    region = region if region in guide.REGIONS else current_region(request)
    ranking, popular, departments = await asyncio.gather(
        public_json(request, "/api/evaluation/v1/rankings/departments", region=region),
        public_json(request, "/api/catalog/v1/stats/popular-items", region=region, limit=10),
        public_json(request, "/api/catalog/v1/departments", region=region),
    )
    names = {d["code"]: d["name"] for d in (departments or {}).get("items", [])}
    return render(
        request,
        "rankings.html",
        {
            "region": region,
            "departments": (ranking or {}).get("rows", [])[:20],
            "names": names,
            "popular": (popular or {}).get("items", []),
            "failed": ranking is None,
        },
    )


SUGGESTIONS = 8


@router.get("/search/suggestions", include_in_schema=False)
async def suggestions(
    request: Request,
    q: Annotated[str, Query(max_length=50)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """Search as you type (portal.js fills the search box's list with these): the names of the first items the
    catalog finds for ``q`` in the region, ranked as the results page ranks them. Not counted as a search
    (only a search sent is), remembered briefly like every public read."""
    region = region if region in guide.REGIONS else current_region(request)
    names: list[dict[str, str]] = []
    if q.strip():
        page = await public_json(request, "/api/catalog/v1/items", q=q.strip(), available_in=region, limit=20)
        seen: set[str] = set()
        for item in guide.rank((page or {}).get("items", []), region):
            if item["name"] not in seen and len(names) < SUGGESTIONS:
                seen.add(item["name"])
                names.append({"name": item["name"], "code": item["implementation_code"]})
    return JSONResponse({"items": names}, headers={"Cache-Control": "private, max-age=60"})


@router.get("/items/{code}", include_in_schema=False)
async def item_guide(request: Request, code: str) -> Response:
    if not guide.CODE_RE.match(code):
        return render(request, "web/error.html", {"title": "页面不存在", "message": "没有这个事项。"}, 404)
    item = await public_json(request, f"/api/catalog/v1/items/{code}")
    if item is None:
        return render(
            request, "web/error.html", {"title": "页面不存在", "message": "没有这个事项，或它已停止办理。"}, 404
        )
    definition = item["definition"]
    await usage.count_item(runtime(request).db, code=code, name=definition["name"], region=definition["region"])
    online, why_not = guide.can_apply_online(definition)
    return render(
        request,
        "guide.html",
        {"item": item, "d": definition, "online": online, "why_not": why_not, "apply_key": _new_key()},
    )


def _new_key() -> str:
    import uuid

    return uuid.uuid4().hex


@router.get("/track", include_in_schema=False)
async def track(
    request: Request,
    tracking_number: Annotated[str, Query(max_length=40)] = "",
    query_code: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    errors: list[tuple[str, str]] = []
    status = None
    if tracking_number or query_code:
        if not TRACKING_RE.match(tracking_number.strip()):
            errors.append(("tracking_number", "请输入正确的办件编号"))
        if not QUERY_CODE_RE.match(query_code.strip()):
            errors.append(("query_code", "请输入查询码（提交申请时给出）"))
        if not errors:
            resp = await runtime(request).gateway.request(
                request,
                "GET",
                "/api/application/v1/status",
                signed_in=False,
                params={"tracking_number": tracking_number.strip(), "query_code": query_code.strip()},
            )
            if resp.status_code == 200:
                status = resp.json()
            else:
                errors.append(("tracking_number", "没有找到该办件，请核对办件编号和查询码"))
    return render(
        request,
        "track.html",
        {"tracking_number": tracking_number, "query_code": query_code, "errors": errors, "status": status},
        status_code=200 if not errors else 400,
    )


@router.get("/verify", include_in_schema=False)
async def verify_form(request: Request, identifier: Annotated[str, Query(max_length=200)] = "") -> Response:
    if identifier.strip():
        if IDENTIFIER_RE.match(identifier.strip()):
            return RedirectResponse(f"/verify/{identifier.strip()}", status_code=303)
        return render(
            request, "verify.html", {"errors": [("identifier", "证照标识格式不正确")], "identifier": identifier}, 400
        )
    return render(request, "verify.html", {"errors": [], "identifier": ""})


@router.get("/verify/{identifier}", include_in_schema=False)
async def verify(request: Request, identifier: str) -> Response:
    if not IDENTIFIER_RE.match(identifier):
        return render(
            request, "verify.html", {"errors": [("identifier", "证照标识格式不正确")], "identifier": identifier}, 400
        )
    resp = await runtime(request).gateway.request(
        request, "GET", f"/api/certificates/v1/verify/{identifier}", signed_in=False
    )
    result = resp.json() if resp.status_code == 200 else None
    return render(
        request, "verify.html", {"errors": [], "identifier": identifier, "result": result}, 200 if result else 404
    )
