"""hot tables: number-first frequency counter key; eager autovacuum on PostgreSQL

The pipeline's tables grow from empty to millions of rows within minutes of a
fresh install and are updated several times per row.  PostgreSQL's default
autovacuum thresholds (20 % dead rows, 10 % changed for ANALYZE) let the
planner work from "empty table" statistics for minutes and let dead rows pile
up, so the hot tables analyze and vacuum after ~2 % instead.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

HOT_TABLES = ("messages", "frequency_counters", "callback_outbox", "message_carrier_ids", "meter_events", "send_tasks")


def upgrade() -> None:
    with op.batch_alter_table("frequency_counters") as batch:
        batch.drop_constraint("pk_frequency_counters", type_="primary")
        batch.create_primary_key("pk_frequency_counters", ["number", "tenant_id", "scope"])
    if op.get_context().dialect.name == "postgresql":
        for table in HOT_TABLES:
            op.execute(
                f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02,"
                " autovacuum_vacuum_insert_scale_factor = 0.02)"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in HOT_TABLES:
            op.execute(
                f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor,"
                " autovacuum_vacuum_insert_scale_factor)"
            )
    with op.batch_alter_table("frequency_counters") as batch:
        batch.drop_constraint("pk_frequency_counters", type_="primary")
        batch.create_primary_key("pk_frequency_counters", ["tenant_id", "scope", "number"])
