"""The service in the reader's language: problem titles follow Accept-Language (Vietnamese
by default), a person's browser gets an HTML 404 outside /v1/, and the pages carry the
security headers (CSP, framing, referrer)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import Keys


@pytest.mark.parametrize(
    ("accept", "title", "lang"),
    [
        (None, "Không tìm thấy", "vi"),
        ("en-GB,en;q=0.8", "Not found", "en"),
        ("fr", "Không tìm thấy", "vi"),
    ],
)
def test_problem_titles_follow_accept_language(
    client: TestClient, keys: Keys, accept: str | None, title: str, lang: str
) -> None:
    headers = dict(keys.h(keys.admin))
    if accept is not None:
        headers["Accept-Language"] = accept
    res = client.get("/v1/rules/art99.no-such-rule", headers=headers)
    assert res.status_code == 404
    body = res.json()
    said = "không có quy tắc mã" if lang == "vi" else "unknown rule id"
    assert body["title"] == title and body["detail"].startswith(f"rule_id: {said}")
    assert res.headers["content-language"] == lang


def test_a_rule_says_when_in_sentences(client: TestClient, keys: Keys) -> None:
    res = client.get("/v1/rules/art3.1.respond", headers=keys.h(keys.admin))
    assert res.status_code == 200
    rule = res.json()
    assert rule["when_vi"] == [
        "Khi một cơ quan gửi văn bản đề nghị phối hợp, với điều kiện: văn bản đ"
        "ề nghị là xin ý kiến; thuộc một trong các trường hợp sau: (cơ quan đề "
        "nghị phối hợp là Đảng ủy Khối các cơ quan tỉnh; hoặc cơ quan được đề n"
        "ghị phối hợp là Đảng ủy Khối các cơ quan tỉnh)."
    ]
    assert rule["when_en"] == [
        "When a body sends a written request for coordination, provided that: w"
        "hat the request asks for is an opinion; in one of these cases: (reques"
        "ting body is Party Committee of the Provincial Agencies Bloc; or reque"
        "sted body is Party Committee of the Provincial Agencies Bloc)."
    ]
    assert rule["summary_vi"].startswith("Cơ quan được đề nghị phối hợp trả lời")
    assert rule["note_vi"]


def test_a_person_gets_an_html_404_and_a_system_json(client: TestClient) -> None:
    page = client.get("/bodies/no_such_body", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Trang bạn yêu cầu không tồn tại." in page.text and '<html lang="vi">' in page.text
    en = client.get("/no/such/page", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert en.status_code == 404 and "does not exist" in en.text
    api = client.get("/v1/no/such", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/", "/morning", "/static/pages.css", "/nowhere"])
def test_pages_carry_security_headers(client: TestClient, path: str) -> None:
    h = client.get(path, headers={"Accept": "text/html"}).headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer"


def test_the_api_is_left_to_its_own_headers(client: TestClient) -> None:
    assert (
        "content-security-policy"
        not in client.get("/v1/rules", headers={"Accept": "text/html"}).headers
    )
