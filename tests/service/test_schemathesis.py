"""Property-based tests driven by the OpenAPI document, against the live ASGI app: no 5xx,
every response matches its declared schema, status code and content type.

Bounded: a few examples per operation (the whole module runs in well under a minute), with
an administrator's key so that requests reach the handlers; the unauthenticated paths are
covered by the authorisation matrix. The app is built when the module is collected
(schemathesis needs the document then) on a SQLite file in a temporary directory that is
removed at the end of the module.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.problems import MEDIA_TYPE, Problem

_DIR = Path(tempfile.mkdtemp(prefix="quyche-st-"))
APP = create_app(Settings(db_url=f"sqlite:///{_DIR / 'st.db'}", rate_per_minute=0))
ADMIN, _ = new_key(APP.state.services.store, party=None, admin=True)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    APP.state.services.store.engine.dispose()
    shutil.rmtree(_DIR, ignore_errors=True)


@schemathesis.check
def problem_details(ctx: object, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every error (bar readyz's own 503 body) is RFC 9457 problem details."""
    if response.status_code < 400 or case.operation.path == "/readyz":
        return
    ctype = response.headers.get("content-type", [""])[0]
    assert ctype.startswith(MEDIA_TYPE), f"{response.status_code} sent as {ctype}"
    body = Problem.model_validate_json(response.content)
    assert body.status == response.status_code and body.type and body.title


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {ADMIN}"},
        checks=[
            not_a_server_error,
            response_schema_conformance,
            status_code_conformance,
            content_type_conformance,
            problem_details,
        ],
    )
