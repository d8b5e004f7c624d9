"""aim sending: send tasks, send flows, smart-message columns of messages

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('aim_send_flows',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('fallback', sa.String(length=8), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('chunks_done', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_send_flows_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_send_flows'))
    )
    with op.batch_alter_table('aim_send_flows', schema=None) as batch_op:
        batch_op.create_index('ix_aim_send_flows_state', ['state', 'lease_until'], unique=False)
        batch_op.create_index('ix_aim_send_flows_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('aim_send_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('task_name', sa.String(length=30), nullable=False),
    sa.Column('tpl_id', sa.String(length=9), nullable=False),
    sa.Column('resolve_task_id', sa.String(length=36), nullable=False),
    sa.Column('sms_app_name', sa.String(length=64), nullable=False),
    sa.Column('sms_sign', sa.String(length=64), nullable=False),
    sa.Column('channel_number', sa.String(length=21), nullable=False),
    sa.Column('sms_tpl_id', sa.String(length=50), nullable=False),
    sa.Column('generation_type', sa.String(length=1), nullable=False),
    sa.Column('domain', sa.String(length=100), nullable=False),
    sa.Column('expiration_days', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('submission_count', sa.Integer(), nullable=False),
    sa.Column('send_count', sa.Integer(), nullable=False),
    sa.Column('support_resolve_count', sa.Integer(), nullable=False),
    sa.Column('failed_short_chains', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('flow_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_send_tasks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_send_tasks'))
    )
    with op.batch_alter_table('aim_send_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_aim_send_tasks_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('aim_send_flow_chunks',
    sa.Column('flow_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('numbers', sa.Text(), nullable=False),
    sa.Column('outcomes', sa.Text(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['aim_send_flows.id'], name=op.f('fk_aim_send_flow_chunks_flow_id_aim_send_flows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('flow_id', 'seq', name=op.f('pk_aim_send_flow_chunks'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aim_tpl_id', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('aim_url', sa.String(length=128), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('aim_url')
        batch_op.drop_column('aim_tpl_id')

    op.drop_table('aim_send_flow_chunks')
    with op.batch_alter_table('aim_send_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_aim_send_tasks_tenant_created')

    op.drop_table('aim_send_tasks')
    with op.batch_alter_table('aim_send_flows', schema=None) as batch_op:
        batch_op.drop_index('ix_aim_send_flows_tenant_created')
        batch_op.drop_index('ix_aim_send_flows_state')

    op.drop_table('aim_send_flows')
