"""tickets keep their parked time, which service time leaves out

Revision ID: c4e8a1f3b6d7
Revises: b7d41c9e0a52
Create Date: 2026-12-08 03:20:00

Tickets parked before this revision get their parked time from the event trail: each
``parked`` event until the ticket's next ``resumed`` one. A ticket parked right now
gets its ``parked_at``; a parked ticket also gets a start (it was at the counter).
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa

from server.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c4e8a1f3b6d7'
down_revision = 'b7d41c9e0a52'
branch_labels = None
depends_on = None

_tickets = sa.table(
    'tickets',
    sa.column('id', sa.Integer),
    sa.column('status', sa.String),
    sa.column('called_at', UTCDateTime),
    sa.column('started_at', UTCDateTime),
    sa.column('parked_at', UTCDateTime),
    sa.column('parked_us', sa.BigInteger),
)
_events = sa.table(
    'ticket_events',
    sa.column('ticket_id', sa.Integer),
    sa.column('type', sa.String),
    sa.column('at', UTCDateTime),
)


def upgrade():
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.add_column(sa.Column('parked_at', UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('parked_us', sa.BigInteger(), server_default='0', nullable=False)
        )
    bind = op.get_bind()
    trail = bind.execute(
        sa.select(_events.c.ticket_id, _events.c.type, _events.c.at)
        .where(_events.c.type.in_(('parked', 'resumed')), _events.c.ticket_id.is_not(None))
        .order_by(_events.c.ticket_id, _events.c.at)
    ).all()
    # ticket -> [parked microseconds, first park, the open park's start or None]
    parked: dict[int, list] = {}
    for ticket, kind, at in trail:
        state = parked.setdefault(ticket, [0, at, None])
        if kind == 'parked':
            state[2] = state[2] or at
        elif state[2] is not None:
            state[0] += (at - state[2]) // timedelta(microseconds=1)
            state[2] = None
    for ticket, (micros, first, since) in parked.items():
        started = _tickets.c.started_at
        still_parked = _tickets.c.status == 'parked'
        bind.execute(
            _tickets.update()
            .where(_tickets.c.id == ticket)
            .values(
                parked_us=micros,
                parked_at=sa.case((still_parked, sa.literal(since, UTCDateTime())))
                if since is not None
                else None,
                # Parking begins a service: a ticket parked before its start began there.
                started_at=sa.case(
                    (sa.or_(started.is_(None), started > first), first), else_=started
                ),
            )
        )


def downgrade():
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.drop_column('parked_us')
        batch_op.drop_column('parked_at')
