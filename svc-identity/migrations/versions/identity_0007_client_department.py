"""client department: an OAuth client may be a department's own system (its tokens name the department)

Revision ID: identity_0007
Revises: identity_0006
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0007"
down_revision: str | None = "identity_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_client") as batch_op:
        batch_op.add_column(sa.Column("department_code", sa.String(length=18), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_oauth_client_department_code_department"), "department", ["department_code"], ["code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth_client") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_oauth_client_department_code_department"), type_="foreignkey")
        batch_op.drop_column("department_code")
