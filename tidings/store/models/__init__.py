"""All tables, imported here so Alembic and the tests see one metadata.
Each product keeps its tables in its own module."""

from .base import Base
from . import aim, callbacks, core, pipeline, review, sms, smpp  # noqa: F401

__all__ = ["Base"]
