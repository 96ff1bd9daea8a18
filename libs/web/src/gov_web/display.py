"""How the web front-ends show the API's values to people (pure: no I/O)."""

from __future__ import annotations

from datetime import datetime

from gov_standards.china_time import CHINA_TZ
from gov_standards.items import ITEM_TYPES as ITEM_TYPES  # re-exported: the front-ends name an item's kind


def when(value: str | None) -> str:
    """An RFC 3339 time from the API as people in Guangxi read it: China time, to the minute."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:16].replace("T", " ")
    if moment.tzinfo is None:
        return value[:16].replace("T", " ")
    return f"{moment.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"
