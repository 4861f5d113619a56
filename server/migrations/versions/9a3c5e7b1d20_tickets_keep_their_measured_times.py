"""tickets keep their measured times (stored generated columns) for statistics

Revision ID: 9a3c5e7b1d20
Revises: f012fd0a2007
Create Date: 2026-12-07 20:55:00

SQLite cannot add a stored generated column to a table, so there the table is rebuilt
(Alembic's batch mode copies the rows and recreates every index, partial ones too).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Computed, column

from server.database import micros_between


# revision identifiers, used by Alembic.
revision = '9a3c5e7b1d20'
down_revision = 'f012fd0a2007'
branch_labels = None
depends_on = None

MEASURED = {
    "wait_us": ("issued_at", "called_at"),
    "walk_up_us": ("called_at", "started_at"),
    "service_us": ("started_at", "finished_at"),
    "held_us": ("called_at", "finished_at"),
}


def _RECREATE():
    # PostgreSQL adds the columns in place; SQLite only by rebuilding the table.
    return 'always' if op.get_context().dialect.name == 'sqlite' else 'auto'


def upgrade():
    with op.batch_alter_table('tickets', recreate=_RECREATE()) as batch_op:
        for name, (start, end) in MEASURED.items():
            batch_op.add_column(
                sa.Column(
                    name,
                    sa.BigInteger(),
                    Computed(micros_between(column(start), column(end)), persisted=True),
                    nullable=True,
                )
            )


def downgrade():
    with op.batch_alter_table('tickets', recreate=_RECREATE()) as batch_op:
        for name in reversed(MEASURED):
            batch_op.drop_column(name)
