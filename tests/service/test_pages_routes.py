"""The pages as the service serves them (issue 12), without a browser: public, cached,
404 for an unknown body, the static files, and a profile's bodies on the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quyche_rules.engine.engine import Engine
from quyche_rules.pages import STATIC_DIR
from quyche_rules.service import Settings, create_app

from .conftest import A


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/bodies/", f"/bodies/{A}", "/ask", "/morning"])
def test_pages_are_public_html(client: TestClient, path: str) -> None:
    res = client.get(path)  # no Authorization header: reading the regulation needs no key
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/html")
    assert '<main id="main"' in res.text
    assert client.get(path).text == res.text  # rendered once, answered the same


def test_links_on_served_pages_are_absolute_and_resolve(client: TestClient) -> None:
    html = client.get(f"/bodies/{A}").text
    hrefs = set(re.findall(r'(?:href|src)="(/[^"#]*)', html))
    assert {"/", "/bodies/", "/ask", "/morning", "/static/pages.css"} <= hrefs
    for href in sorted(hrefs):
        assert client.get(href).status_code == 200, href


def test_a_body_by_name_and_an_unknown_body(client: TestClient, engine: Engine) -> None:
    name = engine.parties.parties[A].name_vi
    assert client.get(f"/bodies/{name}").text == client.get(f"/bodies/{A}").text
    res = client.get("/bodies/no_such_body")
    assert res.status_code == 404
    assert res.json()["detail"] == "party: không có cơ quan 'no_such_body'"


def test_static_files_are_served_and_nothing_else(client: TestClient) -> None:
    for f in STATIC_DIR.iterdir():
        res = client.get(f"/static/{f.name}")
        assert res.status_code == 200 and res.content == f.read_bytes(), f.name
    for bad in ("nope.js", "..%2F__init__.py", "%2e%2e/render.py"):
        assert client.get(f"/static/{bad}").status_code == 404, bad


def test_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith(("/v1/", "/healthz", "/readyz", "/metrics"))]


def test_a_profiles_bodies_have_pages_and_are_in_the_forms(
    tmp_path: Path, profile_engines: dict[str, Engine]
) -> None:
    engine = profile_engines["python"]
    extra = [p for p in engine.parties if p.id not in engine.rulebook.parties.parties]
    assert extra, "the profile adds no body"
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'p.db'}"), engine=engine)
    client = TestClient(app)
    index = client.get("/bodies/").text
    ask = client.get("/ask").text
    morning = client.get("/morning").text
    with_duties = [p for p in extra if engine.duties_of(p.id)]
    assert with_duties
    for p in extra:
        assert f'data-party="{p.id}"' in index, p.id
        assert f'<option value="{p.id}"' in ask and f'<option value="{p.id}"' in morning, p.id
    for p in with_duties[:5]:
        page = client.get(f"/bodies/{p.id}")
        assert page.status_code == 200, p.id
        shown = re.findall(r'data-rule="([^"]+)"', page.text)
        assert set(shown) == {e.rule.id for e in engine.duties_of(p.id)}, p.id


def test_the_literate_page_travels_compressed_to_clients_that_accept_it(
    client: TestClient,
) -> None:
    """~600 KB of HTML compresses about tenfold; clients that do not ask get it plain."""
    import gzip

    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    raw: list[bytes] = []
    with client.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip"
        raw.extend(r.iter_raw())
    packed = b"".join(raw)
    assert gzip.decompress(packed) == plain.content
    assert len(packed) * 4 < len(plain.content)


def test_a_page_is_gzipped_once_and_answered_as_the_gzip_layer_would(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept gzip form is the gzip layer's bytes with its headers, and is not made
    again for the next reader (nor for a client that does not ask for it)."""
    from quyche_rules.service import prepared
    from quyche_rules.service.routers import pages

    made: list[int] = []

    def counted(body: bytes) -> bytes:
        made.append(len(body))
        return prepared.gzip(body)

    monkeypatch.setattr(pages, "gzip", counted)
    client.app.state.pages.done.clear()  # type: ignore[attr-defined]
    answers = []
    for _ in range(2):
        raw: list[bytes] = []
        with client.stream("GET", "/", headers={"Accept-Encoding": "br, gzip"}) as r:
            raw.extend(r.iter_raw())
            answers.append((dict(r.headers), b"".join(raw)))
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert made == [len(plain.content)]  # once, for the first reader
    (first, packed), (second, again) = answers
    assert again == packed == prepared.gzip(plain.content)
    assert first.pop("x-request-id") != second.pop("x-request-id")
    assert first == second
    assert first["content-encoding"] == "gzip"
    assert first["vary"] == "Accept-Language, Cookie, Accept-Encoding"
    assert first["content-length"] == str(len(packed))
    assert first["etag"] == plain.headers["etag"]
    assert first["content-type"] == "text/html; charset=utf-8"
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Language, Cookie, Accept-Encoding"
