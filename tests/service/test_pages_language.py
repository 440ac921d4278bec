"""Which language a page shows first: ``?lang=``, else the switch's cookie, else
``Accept-Language``, else Vietnamese; each answer says which, varies on what chose it and
carries an ETag of its own bytes (a ``304`` for the bytes the browser holds)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quyche_rules.pages.langspans import mark_vietnamese

from .conftest import A

PAGES = ["/", "/bodies/", f"/bodies/{A}", "/ask", "/morning"]
EN = "en-US,en;q=0.9"


def _lang(res: httpx.Response) -> str:
    m = re.search(r'<html lang="(\w+)"', res.text)
    assert m is not None
    return m.group(1)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, None, "vi"),  # nothing asked: Vietnamese
        ("", None, EN, "en"),  # the browser's language
        ("", None, "fr-FR,fr;q=0.9", "vi"),  # neither of ours
        ("", "vi", EN, "vi"),  # the switch, remembered, beats the browser
        ("", "en", "vi", "en"),
        ("?lang=vi", "en", EN, "vi"),  # a link's ?lang= beats both
        ("?lang=en", None, None, "en"),
        ("?lang=xx", "zz", EN, "en"),  # unknown values are ignored, not errors
    ],
)
def test_a_page_chooses_its_language(
    app: FastAPI,
    path: str,
    query: str,
    cookie: str | None,
    accept: str | None,
    expected: str,
) -> None:
    client = TestClient(app)
    if cookie:
        client.cookies.set("quyche_lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    res = client.get(path + query, headers=headers)
    assert res.status_code == 200
    assert _lang(res) == expected
    assert res.headers["content-language"] == expected
    assert ('id="lang-en" checked' in res.text) == (expected == "en")  # the switch agrees
    assert {v.strip() for v in res.headers["vary"].split(",")} >= {"Accept-Language", "Cookie"}


def test_each_language_has_its_own_etag_and_revalidates(app: FastAPI) -> None:
    client = TestClient(app)
    vi = client.get("/", headers={"Accept-Language": "vi"})
    en = client.get("/", headers={"Accept-Language": EN})
    assert vi.headers["etag"] != en.headers["etag"]
    assert vi.headers["cache-control"] == "no-cache"  # always asks, cheaply
    again = client.get("/", headers={"Accept-Language": EN, "If-None-Match": en.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # the English page's tag does not validate the Vietnamese page
    other = client.get("/", headers={"Accept-Language": "vi", "If-None-Match": en.headers["etag"]})
    assert other.status_code == 200 and other.text == vi.text


def test_the_api_keeps_its_own_language_headers(app: FastAPI) -> None:
    res = TestClient(app).get("/v1/rules", headers={"Accept-Language": EN})
    assert res.headers["content-language"] == "en"
    assert res.headers["vary"] == "Accept-Language"


def test_vietnamese_names_in_english_text_are_marked() -> None:
    got = str(mark_vietnamese('When Đảng ủy Khối asks Ban Tổ chức Tỉnh ủy, "quá thời hạn" <b>'))
    assert got == (
        'When <span lang="vi">Đảng ủy Khối</span> asks <span lang="vi">Ban Tổ chức Tỉnh ủy'
        '</span>, &#34;<span lang="vi">quá thời hạn</span>&#34; &lt;b&gt;'
    )
    assert str(mark_vietnamese("Art. 3.1: the Provincial Board answers")) == (
        "Art. 3.1: the Provincial Board answers"
    )
