"""aim: templates, makers, materials, sweeps

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:46:37.943482
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('aim_material_sweeps',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('worker', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('purged', sa.Integer(), nullable=False),
    sa.Column('freed_bytes', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_aim_material_sweeps'))
    )
    op.create_table('aim_materials',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('aim_resource_id', sa.String(length=36), nullable=False),
    sa.Column('resource_type', sa.String(length=16), nullable=False),
    sa.Column('video_id', sa.String(length=36), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=50), nullable=False),
    sa.Column('image_rate', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('mime', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('is_auto_gen', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_materials_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_materials')),
    sa.UniqueConstraint('aim_resource_id', name=op.f('uq_aim_materials_aim_resource_id'))
    )
    with op.batch_alter_table('aim_materials', schema=None) as batch_op:
        batch_op.create_index('ix_aim_materials_tenant_type', ['tenant_id', 'resource_type', 'created_at'], unique=False)
        batch_op.create_index('ix_aim_materials_video', ['video_id'], unique=False)

    op.create_table('aim_templates',
    sa.Column('id', sa.String(length=9), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('card_id', sa.String(length=32), nullable=False),
    sa.Column('use_id', sa.Integer(), nullable=False),
    sa.Column('sub_type', sa.Integer(), nullable=True),
    sa.Column('scene', sa.String(length=32), nullable=False),
    sa.Column('sms_example', sa.String(length=255), nullable=False),
    sa.Column('sms_signs', sa.JSON(), nullable=False),
    sa.Column('sms_template', sa.Text(), nullable=False),
    sa.Column('match_type', sa.Integer(), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('pages', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('tpl_state', sa.Integer(), nullable=False),
    sa.Column('disable_desc', sa.String(length=255), nullable=False),
    sa.Column('disable_time', sa.DateTime(), nullable=True),
    sa.Column('audit_state', sa.Integer(), nullable=False),
    sa.Column('audit_desc', sa.String(length=500), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_aim_templates_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aim_templates'))
    )
    with op.batch_alter_table('aim_templates', schema=None) as batch_op:
        batch_op.create_index('ix_aim_templates_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('aim_template_makers',
    sa.Column('template_id', sa.String(length=9), nullable=False),
    sa.Column('maker', sa.String(length=16), nullable=False),
    sa.Column('submitted', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['aim_templates.id'], name=op.f('fk_aim_template_makers_template_id_aim_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('template_id', 'maker', name=op.f('pk_aim_template_makers'))
    )


def downgrade() -> None:
    op.drop_table('aim_template_makers')
    with op.batch_alter_table('aim_templates', schema=None) as batch_op:
        batch_op.drop_index('ix_aim_templates_tenant_created')

    op.drop_table('aim_templates')
    with op.batch_alter_table('aim_materials', schema=None) as batch_op:
        batch_op.drop_index('ix_aim_materials_video')
        batch_op.drop_index('ix_aim_materials_tenant_type')

    op.drop_table('aim_materials')
    op.drop_table('aim_material_sweeps')
