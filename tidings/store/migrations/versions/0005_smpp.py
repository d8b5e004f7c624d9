"""smpp: operator-defined channels, routes, parked receipts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:11:47.796851
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channels',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('password_sealed', sa.String(length=512), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('unknown_policy', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_channels'))
    )
    op.create_table('smpp_parked_receipts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('carrier_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.Column('parked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_smpp_parked_receipts'))
    )
    with op.batch_alter_table('smpp_parked_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_smpp_parked_receipts_lookup', ['channel', 'carrier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_smpp_parked_receipts_parked_at'), ['parked_at'], unique=False)

    op.create_table('channel_routes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('product', sa.String(length=16), nullable=False),
    sa.Column('prefix', sa.String(length=15), nullable=False),
    sa.Column('carrier', sa.String(length=8), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel'], ['channels.name'], name=op.f('fk_channel_routes_channel_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_routes'))
    )
    with op.batch_alter_table('channel_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_routes_channel'), ['channel'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('channel_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_routes_channel'))

    op.drop_table('channel_routes')
    with op.batch_alter_table('smpp_parked_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_smpp_parked_receipts_parked_at'))
        batch_op.drop_index('ix_smpp_parked_receipts_lookup')

    op.drop_table('smpp_parked_receipts')
    op.drop_table('channels')
