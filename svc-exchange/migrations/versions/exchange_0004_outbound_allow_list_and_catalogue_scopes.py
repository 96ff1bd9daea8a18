"""Outbound events become an allow-list (exchange.outbound) and the scopes join the platform's catalogue.

- The registry's grants take the catalogue's names: exchange.webhooks -> exchange.webhooks.manage,
  exchange.national -> exchange.national.read.
- Deliveries queued so far carry the internal event payloads as they were (applicants, holders' names, form
  and license fields): they are deleted, so that neither a retry nor a redelivery sends them again.
- evaluation.rectification.overdue is no outbound type (it names no region): subscriptions drop it, and one
  left with no type is deactivated.

Revision ID: exchange_0004
Revises: exchange_0003
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "exchange_0004"
down_revision: str | None = "exchange_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {"exchange.webhooks": "exchange.webhooks.manage", "exchange.national": "exchange.national.read"}
NOT_OUTBOUND = {"evaluation.rectification.overdue"}

_systems = sa.table("external_system", sa.column("id", sa.Uuid()), sa.column("scopes", sa.JSON()))
_subscriptions = sa.table(
    "webhook_subscription",
    sa.column("id", sa.Uuid()),
    sa.column("event_types", sa.JSON()),
    sa.column("active", sa.Boolean()),
)


def _rename_scopes(names: dict[str, str]) -> None:
    bind = op.get_bind()
    for system_id, scopes in bind.execute(sa.select(_systems.c.id, _systems.c.scopes)).all():
        renamed = sorted({names.get(s, s) for s in scopes or []})
        if renamed != scopes:
            bind.execute(_systems.update().where(_systems.c.id == system_id).values(scopes=renamed))


def upgrade() -> None:
    _rename_scopes(RENAMED)
    op.execute("DELETE FROM webhook_delivery")
    bind = op.get_bind()
    rows = bind.execute(sa.select(_subscriptions.c.id, _subscriptions.c.event_types)).all()
    for sub_id, types in rows:
        kept = [t for t in types or [] if t not in NOT_OUTBOUND]
        if kept != types:
            values = {"event_types": kept} if kept else {"event_types": kept, "active": False}
            bind.execute(_subscriptions.update().where(_subscriptions.c.id == sub_id).values(**values))


def downgrade() -> None:
    # the deleted deliveries and the dropped event type are not brought back
    _rename_scopes({new: old for old, new in RENAMED.items()})
