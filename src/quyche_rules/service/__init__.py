"""The HTTP service (``quyche serve``): the engine for systems not written in Python,
with decision receipts, an append-only decision log and API keys bound to bodies.

``create_app`` and ``Settings`` are imported on first use: ``quyche keys`` and the tracker
should not pay for importing FastAPI.

May import: pages, tracker, db, engine and the layers below them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quyche_rules.service.app import create_app
    from quyche_rules.service.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from quyche_rules.service.app import create_app

        return create_app
    if name == "Settings":
        from quyche_rules.service.settings import Settings

        return Settings
    raise AttributeError(name)
