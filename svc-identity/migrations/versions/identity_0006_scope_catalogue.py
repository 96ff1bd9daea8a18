"""scope catalogue: clients name the kinds of people they serve, consents record their basis, and every
stored scope takes its catalogue name (``<service>.<resource>.<action>``)

Revision ID: identity_0006
Revises: identity_0005
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0006"
down_revision: str | None = "identity_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The retired names and their catalogue names; None: retired with no successor (dropped).
# A frozen copy: a migration must not change when the application's catalogue does.
RENAMED: dict[str, str | None] = {
    "application:read": "application.applications.read",
    "application:submit": "application.applications.write",
    "application:write": "application.applications.write",
    "payment:pay": "payment.orders.pay",
    "license:read": "certificates.licenses.read",
    "license:use": "certificates.licenses.share",
    "evaluation:write": "evaluation.ratings.write",
    "catalog:read": None,
    "exchange.webhooks": "exchange.webhooks.manage",
    "exchange.national": "exchange.national.read",
    "evaluation.read": "evaluation.ratings.read",
}


def renamed(scopes: list[str]) -> list[str]:
    """The scopes under their catalogue names, de-duplicated, order kept."""
    out: dict[str, None] = {}
    for s in scopes:
        new = RENAMED.get(s, s)
        if new is not None:
            out.setdefault(new, None)
    return list(out)


def _rename_lists(table: sa.Table, key: list[sa.Column[object]], column: sa.Column[object]) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(*key, column)).all():
        before = list(row[-1] or [])
        after = renamed(before)
        if after != before:
            where = sa.and_(*(k == row[i] for i, k in enumerate(key)))
            bind.execute(sa.update(table).where(where).values({column.name: after}))


def _rename_strings(table: sa.Table, key: sa.Column[object], column: sa.Column[object]) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(key, column)).all():
        before = str(row[1] or "").split()
        after = renamed(before)
        if after != before:
            bind.execute(sa.update(table).where(key == row[0]).values({column.name: " ".join(after)}))


def upgrade() -> None:
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("account_kinds", sa.JSON(), nullable=False, server_default=sa.text("'[\"citizen\"]'"))
        )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.String(length=16), nullable=False, server_default="consent"))
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_ended_at"), ["ended_at"], unique=False)

    # Lightweight tables: just the columns the data migration reads and writes.
    oauth_client = sa.table("oauth_client", sa.column("client_id", sa.String()), sa.column("scopes", sa.JSON()))
    agent_grant = sa.table("agent_grant", sa.column("id", sa.Uuid()), sa.column("scopes", sa.JSON()))
    consent = sa.table(
        "consent",
        sa.column("account_id", sa.Uuid()),
        sa.column("client_id", sa.String()),
        sa.column("scopes", sa.JSON()),
    )
    refresh_token = sa.table("refresh_token", sa.column("token_hash", sa.String()), sa.column("scope", sa.String()))
    authorization_code = sa.table(
        "authorization_code", sa.column("code_hash", sa.String()), sa.column("scope", sa.String())
    )
    _rename_lists(oauth_client, [oauth_client.c.client_id], oauth_client.c.scopes)
    _rename_lists(agent_grant, [agent_grant.c.id], agent_grant.c.scopes)
    _rename_lists(consent, [consent.c.account_id, consent.c.client_id], consent.c.scopes)
    _rename_strings(refresh_token, refresh_token.c.token_hash, refresh_token.c.scope)
    _rename_strings(authorization_code, authorization_code.c.code_hash, authorization_code.c.scope)
    # Clients that only use client credentials serve no person.
    bind = op.get_bind()
    clients = sa.table(
        "oauth_client",
        sa.column("client_id", sa.String()),
        sa.column("grant_types", sa.JSON()),
        sa.column("account_kinds", sa.JSON()),
    )
    for client_id, grants in bind.execute(sa.select(clients.c.client_id, clients.c.grant_types)).all():
        if "authorization_code" not in (grants or []):
            bind.execute(sa.update(clients).where(clients.c.client_id == client_id).values(account_kinds=[]))


def downgrade() -> None:
    # The renamed scopes stay renamed: the old names are retired everywhere.
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_ended_at"))
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("basis")
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.drop_column("account_kinds")
