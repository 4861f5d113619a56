"""device pairings (a short code approved by a manager); tokens remember when last seen

Revision ID: b7d41c9e0a52
Revises: a7d1c3e5f902
Create Date: 2026-12-10 10:00:00

Adding a nullable column needs no table rebuild on SQLite (so the references to
``api_tokens`` that 5e1c0a7d2b9f had to keep aside are not at risk); dropping it uses
SQLite's own ``DROP COLUMN`` (3.35 and later), again without a rebuild.
"""
from alembic import op
import sqlalchemy as sa

import server.database


# revision identifiers, used by Alembic.
revision = 'b7d41c9e0a52'
down_revision = 'a7d1c3e5f902'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'api_tokens',
        sa.Column('last_seen_at', server.database.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table('device_pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('user', 'kiosk', 'display', 'counter', name='tokenkind', native_enum=False, length=16), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', server.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('delivered_at', server.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('kiosk', 'display')", name='pairing_is_for_a_page_device'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash')
    )
    op.create_index('ix_device_pairings_code', 'device_pairings', ['code'])


def downgrade():
    op.drop_index('ix_device_pairings_code', table_name='device_pairings')
    op.drop_table('device_pairings')
    op.drop_column('api_tokens', 'last_seen_at')
