"""manager offices (regional managers' scope), tickets by office and day (statistics)

Revision ID: 5158ab560c4a
Revises: fbe005a23e21
Create Date: 2026-12-07 18:07:28.156491

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5158ab560c4a"
down_revision = "fbe005a23e21"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "manager_offices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "office_id"),
    )
    op.create_index("ix_manager_offices_office_id", "manager_offices", ["office_id"])
    op.create_index("ix_tickets_office_day", "tickets", ["office_id", "business_date"])


def downgrade():
    op.drop_index("ix_tickets_office_day", table_name="tickets")
    op.drop_index("ix_manager_offices_office_id", table_name="manager_offices")
    op.drop_table("manager_offices")
