"""staff sessions, sign-in throttle, device links, counter devices

Revision ID: 5e1c0a7d2b9f
Revises: 6f693ce9b214
Create Date: 2026-12-02 00:56:53.338369

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

import server.database


# revision identifiers, used by Alembic.
revision = '5e1c0a7d2b9f'
down_revision = '6f693ce9b214'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failures',
    sa.Column('scope', sa.Enum('name', 'address', name='throttlescope', native_enum=False, length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', server.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'key')
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failures_last_failed_at'), ['last_failed_at'], unique=False)

    op.create_table('staff_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', server.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash')
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)

    _add_counter_id_to_api_tokens()

    op.create_table('device_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('user', 'kiosk', 'display', 'counter', name='tokenkind', native_enum=False, length=16), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', server.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', server.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('kiosk', 'display')", name='link_is_for_a_page_device'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )


# Rows that refer to api_tokens with ON DELETE SET NULL: who made each audit event and
# print job.
_TOKEN_REFERENCES = (('ticket_events', 'device_token_id'), ('print_jobs', 'kiosk_token_id'))


def _add_counter_id_to_api_tokens():
    counter_id = sa.Column('counter_id', sa.Integer(), nullable=True)
    if op.get_bind().dialect.name != 'sqlite':
        op.add_column('api_tokens', counter_id)
        op.create_foreign_key(None, 'api_tokens', 'counters', ['counter_id'], ['id'], ondelete='CASCADE')
        return
    with _keeping_token_references(), op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(counter_id)
        batch_op.create_foreign_key('fk_api_tokens_counter_id_counters', 'counters', ['counter_id'], ['id'], ondelete='CASCADE')


@contextmanager
def _keeping_token_references():
    """SQLite changes a table's foreign keys only by copying the table (batch mode), and
    dropping the original sets every reference to it to NULL: keep them aside, put them back."""
    for table, column in _TOKEN_REFERENCES:
        op.execute(f'CREATE TEMPORARY TABLE kept_{table} AS SELECT id, {column} AS token FROM {table} WHERE {column} IS NOT NULL')
    yield
    for table, column in _TOKEN_REFERENCES:
        op.execute(f'UPDATE {table} SET {column} = (SELECT token FROM kept_{table} WHERE kept_{table}.id = {table}.id) WHERE id IN (SELECT id FROM kept_{table})')
        op.execute(f'DROP TABLE kept_{table}')


def downgrade():
    op.drop_table('device_links')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_column('api_tokens', 'counter_id')
    else:
        with _keeping_token_references(), op.batch_alter_table('api_tokens') as batch_op:
            batch_op.drop_column('counter_id')

    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))

    op.drop_table('staff_sessions')
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_last_failed_at'))

    op.drop_table('sign_in_failures')
