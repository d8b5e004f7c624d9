"""callbacks: registrations, the outbox, batch subjects, delivery attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:10:48.752420
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempts_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_callback_attempts_tenant', ['tenant_id', 'id'], unique=False)

    op.create_table('callback_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('batch', sa.Boolean(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_outbox')),
    sa.UniqueConstraint('request_id', name=op.f('uq_callback_outbox_request_id'))
    )
    with op.batch_alter_table('callback_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_callback_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_outbox_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index('ix_callback_outbox_tenant', ['tenant_id', 'created_at'], unique=False)

    op.create_table('callback_registrations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('family', sa.String(length=16), nullable=False),
    sa.Column('url_type', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_registrations')),
    sa.UniqueConstraint('tenant_id', 'family', 'url_type', name=op.f('uq_callback_registrations_tenant_id_family_url_type'))
    )
    with op.batch_alter_table('callback_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_registrations_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('callback_subjects',
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('request_id', 'subject_id', name=op.f('pk_callback_subjects'))
    )
    with op.batch_alter_table('callback_subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_subjects_subject_id'), ['subject_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('callback_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_subjects_subject_id'))

    op.drop_table('callback_subjects')
    with op.batch_alter_table('callback_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_registrations_tenant_id'))

    op.drop_table('callback_registrations')
    with op.batch_alter_table('callback_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_outbox_tenant')
        batch_op.drop_index(batch_op.f('ix_callback_outbox_subject_id'))
        batch_op.drop_index('ix_callback_outbox_due')

    op.drop_table('callback_outbox')
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_attempts_tenant')
        batch_op.drop_index(batch_op.f('ix_callback_attempts_request_id'))

    op.drop_table('callback_attempts')
