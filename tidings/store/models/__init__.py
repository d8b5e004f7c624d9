"""All tables, imported here so Alembic and the tests see one metadata.
Each product keeps its tables in its own module."""

from . import aim, callbacks, core, pipeline, review, smpp, sms  # noqa: F401 - imported for their tables on Base.metadata
from .base import Base
<<<<<<< HEAD
=======
from . import aim, aim_send, callbacks, core, pipeline, review, sms, smpp  # noqa: F401
>>>>>>> 8019815 (aim: send tasks (create_aim_send_task, list_aim_send_tasks, list_aim_send_details, list_aim_send_reports): one link per number, the SMS template with the link in NEWTEXT through the SMS acceptance as product aim; aim receipts with tpl_id/aim_code/aim_url (messages.aim_tpl_id/aim_url); sandbox and SMPP carry aim; per-tenant smart-message bucket (1,000/s default); WIP on the links helper's uncommitted links/capability)

__all__ = ["Base"]
