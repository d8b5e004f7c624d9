"""aim delivery: capability registry, link domains, resolve tasks and links, parses, exposures and clicks

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('aim_capabilities',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('maker', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_aim_capabilities'))
    )
    op.create_table('aim_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('tpl_id', sa.String(length=9), nullable=False),
    sa.Column('link_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('maker', sa.String(length=16), nullable=False),
    sa.Column('visitor', sa.String(length=64), nullable=False),
    sa.Column('component', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_events'))
    )
    with op.batch_alter_table('aim_events', schema=None) as batch_op:
        batch_op.create_index('ix_aim_events_tpl_day', ['tpl_id', 'day'], unique=False)

    op.create_table('aim_domains',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_domains_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_domains'))
    )
    with op.batch_alter_table('aim_domains', schema=None) as batch_op:
        batch_op.create_index('uq_aim_domains_name_kind', ['name', 'kind'], unique=True)

    op.create_table('aim_resolve_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('tpl_id', sa.String(length=9), nullable=False),
    sa.Column('task_name', sa.String(length=30), nullable=False),
    sa.Column('code_type', sa.String(length=12), nullable=False),
    sa.Column('generation_type', sa.String(length=1), nullable=False),
    sa.Column('domain', sa.String(length=100), nullable=False),
    sa.Column('sms_signs', sa.JSON(), nullable=False),
    sa.Column('resolving_times', sa.Integer(), nullable=False),
    sa.Column('expiration_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_resolve_tasks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_resolve_tasks'))
    )
    with op.batch_alter_table('aim_resolve_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_aim_resolve_tasks_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('aim_links',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('tpl_id', sa.String(length=9), nullable=False),
    sa.Column('domain', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('custom_short_code', sa.String(length=10), nullable=True),
    sa.Column('cust_flag', sa.String(length=64), nullable=False),
    sa.Column('dync_params', sa.JSON(), nullable=True),
    sa.Column('custom_url', sa.String(length=256), nullable=True),
    sa.Column('result_code', sa.String(length=16), nullable=False),
    sa.Column('error_message', sa.String(length=255), nullable=False),
    sa.Column('resolving_times', sa.Integer(), nullable=False),
    sa.Column('resolved_times', sa.Integer(), nullable=False),
    sa.Column('failed_times', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['aim_resolve_tasks.id'], name=op.f('fk_aim_links_task_id_aim_resolve_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_links_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_links'))
    )
    with op.batch_alter_table('aim_links', schema=None) as batch_op:
        batch_op.create_index('ix_aim_links_code', ['code'], unique=False)
        batch_op.create_index('ix_aim_links_task', ['task_id'], unique=False)
        batch_op.create_index('ix_aim_links_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index('uq_aim_links_domain_code', ['domain', 'code'], unique=True)

    op.create_table('aim_parses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('link_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('tpl_id', sa.String(length=9), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('mobile', sa.String(length=40), nullable=False),
    sa.Column('maker', sa.String(length=16), nullable=False),
    sa.Column('sms_sign', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('describe', sa.String(length=255), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['aim_links.id'], name=op.f('fk_aim_parses_link_id_aim_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_parses'))
    )
    with op.batch_alter_table('aim_parses', schema=None) as batch_op:
        batch_op.create_index('ix_aim_parses_tpl_day', ['tpl_id', 'day'], unique=False)
        batch_op.create_index('uq_aim_parses_link_source', ['link_id', 'source'], unique=True)




def downgrade() -> None:

    with op.batch_alter_table('aim_parses', schema=None) as batch_op:
        batch_op.drop_index('uq_aim_parses_link_source')
        batch_op.drop_index('ix_aim_parses_tpl_day')

    op.drop_table('aim_parses')
    with op.batch_alter_table('aim_links', schema=None) as batch_op:
        batch_op.drop_index('uq_aim_links_domain_code')
        batch_op.drop_index('ix_aim_links_tenant_created')
        batch_op.drop_index('ix_aim_links_task')
        batch_op.drop_index('ix_aim_links_code')

    op.drop_table('aim_links')
    with op.batch_alter_table('aim_resolve_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_aim_resolve_tasks_tenant_created')

    op.drop_table('aim_resolve_tasks')
    with op.batch_alter_table('aim_domains', schema=None) as batch_op:
        batch_op.drop_index('uq_aim_domains_name_kind')

    op.drop_table('aim_domains')
    with op.batch_alter_table('aim_events', schema=None) as batch_op:
        batch_op.drop_index('ix_aim_events_tpl_day')

    op.drop_table('aim_events')
    op.drop_table('aim_capabilities')

