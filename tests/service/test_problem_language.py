"""A problem's ``detail`` and each ``errors[].detail`` follow the reader's language like its
``title``: Vietnamese by default, the English words as before on ``Accept-Language: en``;
the place and the machine fields (``type``, ``code``, ``pointer``, ``parameter``) do not
change. The catalogue of refusals (``service.details``) is walked whole: every pattern
reads an English refusal and says it in Vietnamese, and a refusal no pattern reads is
still said in Vietnamese."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quyche_rules.i18n import messages, set_language
from quyche_rules.service.details import CODES, DETAILS, OTHER, is_vietnamese, localized, split

from .conftest import Keys

EVENT = {"type": "coordination_requested", "date": "2025-01-23",
         "requester": "dang_uy_khoi", "requested": "ban_to_chuc_tinh_uy"}  # fmt: skip
#: values a refusal quotes, to fill a message id's placeholders
FILL = ("'x'", "2025-01-02", "7", "so_a")
#: pydantic's own words, whose message id is not the English line
PYDANTIC = [
    "Input should be a valid integer, unable to parse string as an integer",
    "Input should be a valid number, unable to parse string as a number",
    "Input should be a valid boolean, unable to interpret input",
    "Input should be a valid date or datetime, input is too short",
    "Input should be a valid datetime, input is too short",
    "Input should be a valid dictionary or object to extract fields from",
    "Input should be a valid UUID, invalid length",
    "Input should be a valid URL, relative URL without a base",
    "Input should be greater than or equal to 0",
    "Input should be less than or equal to 500",
    "Input should be greater than 0",
    "Input should be less than 10",
    "Input should be 'opinion' or 'information'",
    "String should have at most 200 characters",
    "String should have at least 1 character",
    "String should match pattern '^[a-z]+$'",
    "List should have at most 100 items after validation, not 101",
    "List should have at least 1 item after validation, not 0",
]


@pytest.fixture
def vi() -> Any:
    set_language("vi")
    yield
    set_language("en")


def _examples(mid: str) -> list[str]:
    n = len(set(itertools.chain.from_iterable(
        (f"{{{i}}}",) for i in range(6) if f"{{{i}}}" in mid)))  # fmt: skip
    return [mid.format(*combo) for combo in itertools.product(FILL, repeat=n)]


def test_every_pattern_of_the_catalogue_says_an_english_refusal_in_vietnamese(vi: Any) -> None:
    vi_words, walked = messages("vi"), 0
    for pattern, mid in DETAILS:
        assert vi_words.get(mid), f"no Vietnamese entry for {mid!r}"
        lines = [e for e in [*_examples(mid), *PYDANTIC] if pattern.fullmatch(e)]
        assert lines, f"no example reads as {pattern.pattern!r}"
        for line in lines[:3]:
            said = localized(f"body.x: {line}")
            place, msg = split(said)
            assert place == "body.x" and is_vietnamese(msg), (line, said)
        walked += 1
    assert walked == len(DETAILS) > 70
    for mid in (*CODES.values(), OTHER):
        assert is_vietnamese(vi_words[mid]), mid


def test_a_refusal_nobody_catalogued_is_still_vietnamese(vi: Any) -> None:
    assert localized("days: something new went wrong", "unknown_party") == (
        "days: không có cơ quan này"
    )
    other = localized("x: a brand new refusal")
    assert other.startswith("x: giá trị không hợp lệ") and is_vietnamese(split(other)[1])
    # two languages: the Vietnamese half; Vietnamese already: as it is
    assert (
        localized("quota: khoá này đã hết lượt / this key is done") == "quota: khoá này đã hết lượt"
    )
    assert (
        localized("date: ngày đó Quy chế đã hết hiệu lực")
        == "date: ngày đó Quy chế đã hết hiệu lực"
    )
    # dates for people: dd/mm/yyyy
    assert localized("body.date: 2031-05-06 is outside the supported years 2000-2030") == (
        "body.date: 06/05/2031 nằm ngoài các năm được hỗ trợ 2000-2030"
    )
    set_language("en")
    assert localized("x: a brand new refusal") == "x: a brand new refusal"


def _samples(keys: Keys) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request keywords): one of each kind of problem the service emits."""
    a = keys.h(keys.a)
    return [
        ("POST", "/v1/notify", {"json": {**EVENT, "requester": "nobody"}, "headers": a}),
        ("POST", "/v1/notify", {"json": {"type": "coordination_requested"}, "headers": a}),
        ("POST", "/v1/notify", {"json": {**EVENT, "type": "nope"}, "headers": a}),
        ("POST", "/v1/notify", {"json": {**EVENT, "date": "23/01/2025"}, "headers": a}),
        ("POST", "/v1/notify", {"content": b'{"type": ',
                                "headers": {**a, "content-type": "application/json"}}),
        ("POST", "/v1/notify", {"content": json.dumps(EVENT).encode(),
                                "headers": {**a, "content-type": "text/plain"}}),
        ("POST", "/v1/notify", {"json": {**EVENT, "summary": "x" * (300 * 1024)}, "headers": a}),
        ("GET", "/v1/rules", {}),
        ("GET", "/v1/rules", {"headers": keys.h(keys.unknown)}),
        ("GET", "/v1/rules/nope", {"headers": a}),
        ("GET", "/v1/no-such-path", {"headers": a}),
        ("DELETE", "/v1/rules", {"headers": a}),
        ("GET", "/v1/deadline?received=tomorrow", {"headers": a}),
        ("POST", "/v1/track", {"json": {**EVENT, "requester": "ban_noi_chinh_tinh_uy"},
                               "headers": a}),
        ("GET", "/v1/track/cases/cnosuchcase", {"headers": a}),
        ("GET", "/v1/track/ics", {"headers": keys.h(keys.admin)}),
        ("GET", "/v1/track/status?party=nobody", {"headers": a}),
        ("GET", "/v1/track/status?group=owes&limit=5&cursor=bad", {"headers": a}),
    ]  # fmt: skip


def test_every_sample_problem_reads_in_the_readers_language(client: TestClient, keys: Keys) -> None:
    statuses = set()
    for method, path, kw in _samples(keys):
        answers = {}
        for lang in ("vi", "en"):
            headers = {**kw.get("headers", {}), "Accept-Language": lang}
            r = client.request(method, path, **{**kw, "headers": headers})
            assert r.status_code >= 400, (path, r.text)
            answers[lang] = r.json()
        vi, en = answers["vi"], answers["en"]
        statuses.add(vi["status"])
        # the machine fields do not change with the language
        for k in ("type", "status"):
            assert vi[k] == en[k]
        strip = [{k: v for k, v in e.items() if k != "detail"} for e in vi.get("errors", [])]
        assert strip == [{k: v for k, v in e.items() if k != "detail"}
                         for e in en.get("errors", [])]  # fmt: skip
        for problem, want_vi in ((vi, True), (en, False)):
            for line in [problem["detail"], *(e["detail"] for e in problem.get("errors", []))]:
                msg = split(line)[1]
                assert is_vietnamese(msg) is want_vi, (path, problem["title"], line)
        assert split(vi["detail"])[0] == split(en["detail"])[0]  # the same place
    assert statuses >= {401, 403, 404, 405, 413, 415, 422}


def test_a_sample_word_for_word(client: TestClient, keys: Keys) -> None:
    bad = {**EVENT, "requester": "nobody"}
    r = client.post("/v1/notify", json=bad, headers=keys.h(keys.a))
    assert r.json()["detail"] == "body.requester: không có cơ quan 'nobody'"
    assert r.json()["errors"] == [
        {"pointer": "/requester", "code": "unknown_party", "detail": "không có cơ quan 'nobody'"}
    ]
    r = client.post("/v1/notify", json=bad, headers={**keys.h(keys.a), "Accept-Language": "en"})
    assert r.json()["detail"] == "body.requester: unknown party 'nobody'"
    r = client.post("/v1/notify", json={"type": "coordination_requested", "date": "2025-01-23"},
                    headers=keys.h(keys.a))  # fmt: skip
    assert [e["detail"] for e in r.json()["errors"]] == ["thiếu trường bắt buộc"] * 2
