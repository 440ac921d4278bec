"""The HTTP service (``quyche serve``): the engine for systems not written in Python,
with decision receipts, an append-only decision log and API keys bound to bodies.

``create_app`` and ``Settings`` are imported on first use: the tracker's migrations read
``service.store``'s tables, and ``quyche track`` should not pay for importing FastAPI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
