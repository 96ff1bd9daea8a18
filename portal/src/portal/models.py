"""The portal's own tables: sessions (gov_web) and aggregated usage, with no personal data: how often an
item's guide was read and applied for, and what was searched, feeding 高频事项 and the usage statistics."""

from __future__ import annotations

import sqlalchemy as sa

from gov_common.db import UtcDateTime
from gov_web.sessions import metadata

item_usage = sa.Table(
    "item_usage",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("region", sa.String(12), nullable=False, index=True),
    sa.Column("views", sa.Integer, nullable=False),
    sa.Column("applications", sa.Integer, nullable=False),
    sa.Column("last_at", UtcDateTime, nullable=False),
    # The last_at of the counts the catalog last acknowledged (usage.report): a row changed since is sent.
    sa.Column("reported_at", UtcDateTime, nullable=True),
)
search_term = sa.Table(
    "search_term",
    metadata,
    sa.Column("term", sa.String(50), primary_key=True),
    sa.Column("searches", sa.Integer, nullable=False),
    sa.Column("last_at", UtcDateTime, nullable=False),
    sa.Column("reported_at", UtcDateTime, nullable=True),
)
