"""The hall's screens (大屏), public like a TV in the hall: a live stream of calls and waiting counts as
Server-Sent Events (``call`` events carry the call's sequence number as their id, so a reconnecting screen
sends ``Last-Event-ID`` and misses nothing), and a page a TV browser opens (it works without scripts too,
refreshing itself). No personal data: numbers, windows and counts only."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from gov_common.deps import SessionDep
from gov_standards.china_time import china_date
from hall.deps import ContextDep, HallContext
from hall.halls import service as halls
from hall.screens import service
from hall.screens.schemas import ScreenSnapshot, ShownCall
from hall.screens.service import LOOKBACK

router = APIRouter(prefix="/v1", tags=["screens"])

_STYLE = (
    "body{margin:0;font-family:sans-serif;background:#0b2a4a;color:#fff}h1{margin:.5em;font-size:2.5em}"
    "table{width:100%;border-collapse:collapse;font-size:2.2em}td,th{padding:.3em .6em;text-align:left}"
    "tr:first-child td{color:#ffd54f}section{display:flex;gap:2em;margin:.5em}"
)
_SCRIPT = (
    "const calls=document.getElementById('calls'),waiting=document.getElementById('waiting');"
    "const s=new EventSource(location.pathname.replace(/\\/$/,'')+'/stream');"
    "s.addEventListener('call',e=>{const c=JSON.parse(e.data),r=calls.insertRow(0);"
    "r.insertCell().textContent=c.number;r.insertCell().textContent=c.window;"
    "while(calls.rows.length>8)calls.deleteRow(-1);"
    "try{speechSynthesis.speak(new SpeechSynthesisUtterance('请'+c.number+'号到'+c.window))}catch(x){}});"
    "s.addEventListener('waiting',e=>{const w=JSON.parse(e.data);waiting.textContent='';"
    "for(const[k,v]of Object.entries(w)){const p=document.createElement('span');p.textContent=k+' 等候 '+v;"
    "waiting.append(p)}});"
)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


SCREEN_CSP = (
    f"default-src 'none'; script-src {_hash(_SCRIPT)}; style-src {_hash(_STYLE)}; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


async def _events(
    request: Request, context: HallContext, hall_id: uuid.UUID, after: int
) -> AsyncIterator[ServerSentEvent]:
    db = request.app.state.runtime.db
    sent: set[int] = set()
    low, last_counts = after, None
    while True:
        async with db.read() as session:
            calls = await service.calls_after(session, hall_id=hall_id, after=max(after, low - LOOKBACK))
            counts = await service.waiting_counts(session, hall_id=hall_id, day=china_date(context.now()))
        for call in calls:
            if call.seq in sent or call.seq <= after:
                continue
            sent.add(call.seq)
            low = max(low, call.seq)
            yield ServerSentEvent(data=json.dumps(call.data(), ensure_ascii=False), event="call", id=str(call.seq))
        if counts != last_counts:
            last_counts = counts
            yield ServerSentEvent(data=json.dumps(counts), event="waiting")
        if len(sent) > 4 * LOOKBACK:  # forget what the look-back can no longer return
            sent = {s for s in sent if s > low - LOOKBACK}
        await asyncio.sleep(context.settings.screen_poll_seconds)


@router.get(
    "/halls/{hall_id}/screen/stream",
    summary="The hall's live screen (public): Server-Sent Events with Accept: text/event-stream, else a snapshot",
    response_model=ScreenSnapshot,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream(
    hall_id: uuid.UUID,
    request: Request,
    context: ContextDep,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**62)] = None,
) -> Response:
    """``call`` events (id: the call's sequence number; data: number, window, call, called_at) and
    ``waiting`` events (waiting tickets per queue, when they change); an EventSource reconnecting sends
    ``Last-Event-ID`` and gets what it missed. A client that does not ask for ``text/event-stream`` gets the
    current state once (the last calls and the waiting counts) instead of an endless answer."""
    # Its own short read, no request session: a stream lasts hours and must hold no connection meanwhile.
    async with request.app.state.runtime.db.read() as session:
        hall = await halls.get_hall(session, hall_id)
        shown = await service.last_calls(session, hall_id=hall.id)
        counts = await service.waiting_counts(session, hall_id=hall.id, day=china_date(context.now()))
    if "text/event-stream" not in request.headers.get("accept", ""):
        snapshot = ScreenSnapshot(
            calls=[ShownCall.model_validate(c.data()) for c in shown],
            waiting=counts,
            last_event_id=shown[0].seq if shown else 0,
        )
        return JSONResponse(snapshot.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
    if last_event_id is None:  # a new screen starts from now, not from the morning's first call
        last_event_id = shown[0].seq if shown else 0
    return EventSourceResponse(_events(request, context, hall.id, last_event_id), ping=15)


@router.get(
    "/halls/{hall_id}/screen",
    summary="The hall's screen page for a TV browser (public)",
    response_class=HTMLResponse,
)
async def page(hall_id: uuid.UUID, session: SessionDep, context: ContextDep) -> HTMLResponse:
    hall = await halls.get_hall(session, hall_id)
    calls = await service.last_calls(session, hall_id=hall.id)
    counts = await service.waiting_counts(session, hall_id=hall.id, day=china_date(context.now()))
    rows = "".join(f"<tr><td>{html.escape(c.number)}</td><td>{html.escape(c.window)}</td></tr>" for c in calls)
    waiting = "".join(f"<span>{html.escape(k)} 等候 {v}</span>" for k, v in counts.items())
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(hall.name)} 叫号</title><style>{_STYLE}</style>"
        '<noscript><meta http-equiv="refresh" content="5"></noscript></head><body>'
        f'<h1>{html.escape(hall.name)}</h1><section id="waiting" aria-live="polite">{waiting}</section>'
        '<table aria-live="assertive"><thead><tr><th scope="col">号码</th><th scope="col">窗口</th></tr></thead>'
        f'<tbody id="calls">{rows}</tbody></table><script>{_SCRIPT}</script></body></html>'
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": SCREEN_CSP, "Cache-Control": "no-store"})
