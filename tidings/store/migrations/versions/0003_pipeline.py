"""pipeline: send tasks, messages, carrier ids, uplinks, idempotency keys,
frequency counters, meter events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:08:40.589058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frequency_counters',
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('number', sa.String(length=21), nullable=False),
    sa.Column('minute_window', sa.BigInteger(), nullable=False),
    sa.Column('minute_count', sa.Integer(), nullable=False),
    sa.Column('hour_window', sa.BigInteger(), nullable=False),
    sa.Column('hour_count', sa.Integer(), nullable=False),
    sa.Column('day_window', sa.BigInteger(), nullable=False),
    sa.Column('day_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'scope', 'number', name=op.f('pk_frequency_counters'))
    )
    with op.batch_alter_table('frequency_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frequency_counters_day_window'), ['day_window'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('operation', sa.String(length=32), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('message_carrier_ids',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('carrier_id', sa.String(length=80), nullable=False),
    sa.Column('message_id', sa.String(length=50), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'carrier_id', name=op.f('pk_message_carrier_ids'))
    )
    with op.batch_alter_table('message_carrier_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_carrier_ids_created_at'), ['created_at'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.String(length=50), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=50), nullable=False),
    sa.Column('product', sa.String(length=16), nullable=False),
    sa.Column('app_id', sa.String(length=50), nullable=True),
    sa.Column('signature_id', sa.String(length=50), nullable=True),
    sa.Column('signature', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.String(length=50), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('channel_num', sa.String(length=21), nullable=False),
    sa.Column('number', sa.String(length=21), nullable=False),
    sa.Column('to', sa.String(length=21), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('extend', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.String(length=32), nullable=True),
    sa.Column('status_desc', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.Column('carrier_ids', sa.JSON(), nullable=True),
    sa.Column('part_reports', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_queue', ['status', 'channel', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_messages_task', ['task_id'], unique=False)
        batch_op.create_index('ix_messages_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_number', ['number', 'created_at'], unique=False)

    op.create_table('meter_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('product', sa.String(length=32), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_events')),
    sa.UniqueConstraint('metric', 'source_id', name=op.f('uq_meter_events_metric_source_id'))
    )
    with op.batch_alter_table('meter_events', schema=None) as batch_op:
        batch_op.create_index('ix_meter_events_tenant_occurred', ['tenant_id', 'occurred_at'], unique=False)

    op.create_table('send_tasks',
    sa.Column('id', sa.String(length=50), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('operation', sa.String(length=32), nullable=False),
    sa.Column('channel_num', sa.String(length=21), nullable=False),
    sa.Column('extend', sa.String(length=128), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_tasks'))
    )
    with op.batch_alter_table('send_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_send_tasks_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('uplinks',
    sa.Column('id', sa.String(length=50), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=True),
    sa.Column('app_id', sa.String(length=50), nullable=True),
    sa.Column('source', sa.String(length=21), nullable=False),
    sa.Column('destination', sa.String(length=21), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('carrier_ref', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uplinks'))
    )
    with op.batch_alter_table('uplinks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uplinks_source'), ['source'], unique=False)
        batch_op.create_index('ix_uplinks_tenant_received', ['tenant_id', 'received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('uplinks', schema=None) as batch_op:
        batch_op.drop_index('ix_uplinks_tenant_received')
        batch_op.drop_index(batch_op.f('ix_uplinks_source'))

    op.drop_table('uplinks')
    with op.batch_alter_table('send_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_send_tasks_tenant_created')

    op.drop_table('send_tasks')
    with op.batch_alter_table('meter_events', schema=None) as batch_op:
        batch_op.drop_index('ix_meter_events_tenant_occurred')

    op.drop_table('meter_events')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_number')
        batch_op.drop_index('ix_messages_tenant_created')
        batch_op.drop_index('ix_messages_task')
        batch_op.drop_index('ix_messages_queue')

    op.drop_table('messages')
    with op.batch_alter_table('message_carrier_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_carrier_ids_created_at'))

    op.drop_table('message_carrier_ids')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('frequency_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frequency_counters_day_window'))

    op.drop_table('frequency_counters')
