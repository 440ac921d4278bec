"""The HTTP service (``quyche serve``): the engine for systems not written in Python,
with decision receipts, an append-only decision log and API keys bound to bodies."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
