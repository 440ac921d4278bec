"""Events validated against the engine's party registry, not the default one.

FastAPI validates a request body before the handler runs, with no validation context, so
``events.Event`` alone would resolve parties against the regulation's default registry and
refuse a profile's concrete bodies (``"Sở Y tế"`` → 422) that the engine itself accepts.
``ServiceEvent`` is ``Event`` with a wrap validator: when the app serves a registry other
than the default one (a profile), it validates through ``parse_event(..., registry=...)``
with that registry. The registry reaches the validator in a context variable set for each
request by ``RegistryScope`` (an ASGI middleware, so it holds for every router, including
ones added with ``extra_routers``). The JSON Schema, hence the OpenAPI document, is
``Event``'s own.

The profile's own time is checked first, as the engine does (``Profile.check_raw_date``):
an event dated after the regulation ceased to apply in the province names parties that
ended with it (``regulation.parties_ended``), and must be refused for the regulation's
end — its code ``regulation_ended``, the field ``date`` and the profile's reason, in the
request's language, as the CLI says it — not for one of those parties.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, ValidationInfo, ValidatorFunctionWrapHandler
from pydantic_core import PydanticCustomError, core_schema
from starlette.types import ASGIApp, Receive, Scope, Send

from quyche_rules.errors import QuycheError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.model.events import Event
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.model.profiles import Profile

#: the registry of the app serving the current request when it is not the default one
REGISTRY: ContextVar[PartyRegistry | None] = ContextVar("quyche_registry", default=None)
#: the profile of the app serving the current request (None: no profile)
PROFILE: ContextVar[Profile | None] = ContextVar("quyche_profile", default=None)

#: pydantic error type carrying the field path in ``ctx["field"]`` (``app`` joins it to
#: the location, so the detail reads ``body.requester: unknown party ...``)
EVENT_ERROR = "quyche_event"


def _in_registry(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    registry = REGISTRY.get()
    if registry is None:  # the regulation's own parties: pydantic's path, as in the library
        return handler(value)
    try:
        profile = PROFILE.get()
        if profile is not None:  # the regulation's own time first, as in the engine
            profile.check_raw_date(value)
        return parse_event(value, registry=registry)
    except QuycheError as exc:
        field, _, msg = str(exc).partition(": ")
        if not msg:
            field, msg = "", field
        ctx = {"field": field, "msg": msg, "code": exc.code}
        raise PydanticCustomError(EVENT_ERROR, "{msg}", ctx) from None


class _InRegistry:
    """The wrap validator around ``Event``'s own core schema. Built by hand, not with
    ``Annotated[Event, WrapValidator(...)]``: that form re-applies ``Event``'s
    discriminator around the wrapper and mangles the JSON Schema (OpenAPI) of the union."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_wrap_validator_function(
            _in_registry, handler.generate_schema(Event)
        )


ServiceEvent = Annotated[Any, _InRegistry]


class RegistryScope:
    """Sets ``REGISTRY`` to the app's registry for the duration of each request (None when
    the engine has no profile: the default registry, nothing to change)."""

    def __init__(
        self, app: ASGIApp, registry: PartyRegistry | None, profile: Profile | None = None
    ) -> None:
        self.app = app
        self.registry = registry
        self.profile = profile

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = REGISTRY.set(self.registry)
        ptoken = PROFILE.set(self.profile)
        try:
            await self.app(scope, receive, send)
        finally:
            PROFILE.reset(ptoken)
            REGISTRY.reset(token)
