"""``GET /v1/track/status`` and ``/v1/track/cases/{id}`` say who inherits an open case of a
body that ended (the shipped profile: Sở Kế hoạch và Đầu tư, merged into Sở Tài chính on
1/3/2025), with the same ``successions`` as ``quyche track status --json``."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key

from .conftest import ROOT


def test_the_status_names_the_successor_of_an_ended_obligated_body(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 's.db'}",
        profile=str(ROOT / "profiles" / "dak-lak.yaml"),
        backend="python",
        rate_per_minute=0,
    )
    app = create_app(settings)
    key, _ = new_key(app.state.services.store, party=None, admin=True)
    h = {"Authorization": f"Bearer {key}"}
    request = {"type": "coordination_requested", "date": "2025-02-24", "received_on":
               "2025-02-24", "reference": "9-CV/ĐUK", "requester": "Đảng ủy Khối",
               "requested": "Lãnh đạo Sở Kế hoạch và Đầu tư"}  # fmt: skip
    with TestClient(app) as client:
        r = client.post("/v1/track", json=request, headers=h)
        assert r.status_code in (200, 201), r.text
        st = client.get("/v1/track/status?as_of=2025-03-02", headers=h)
        assert st.status_code == 200, st.text
        (case,) = st.json()["owes"]
        expected = {"party": "lanh_dao_so_ke_hoach_va_dau_tu", "role": "obligated",
                    "ended_on": "2025-02-28", "succeeded_by": "lanh_dao_so_tai_chinh",
                    "succeeded_on": "2025-03-01", "inheritor": "lanh_dao_so_tai_chinh"}  # fmt: skip
        assert case["successions"] == [expected]
        one = client.get(f"/v1/track/cases/{case['id']}?as_of=2025-03-02", headers=h)
        assert one.json()["successions"] == [expected]
        before = client.get("/v1/track/status?as_of=2025-02-27", headers=h).json()
        assert before["owes"][0]["successions"] == []


def test_an_event_after_the_regulation_ended_is_refused_for_it_as_the_cli_says(
    tmp_path: Path,
) -> None:
    """An event dated after the regulation ceased to apply in the province names a party
    that ended with it (``regulation.parties_ended``): the problem says the regulation's
    end — code ``regulation_ended``, pointer ``/date``, the profile's reason, in the
    request's language (Vietnamese unless asked) — word for word the CLI's one line,
    never "this body ended". On every route that validates an event, batches included."""
    import json

    import yaml
    from typer.testing import CliRunner

    from quyche_rules.cli.main import app as cli

    from ..test_succession import BASE

    profile = tmp_path / "thu.yaml"
    profile.write_text(yaml.safe_dump(BASE, allow_unicode=True), encoding="utf-8")
    settings = Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", profile=str(profile),
                        backend="python", rate_per_minute=0)  # fmt: skip
    app = create_app(settings)
    key, _ = new_key(app.state.services.store, party=None, admin=True)
    event = {"type": "coordination_requested", "date": "2025-02-03", "received_on":
             "2025-02-03", "reference": "2-CV", "requester": "dang_uy_khoi",
             "requested": "so_c"}  # fmt: skip
    (tmp_path / "ev.json").write_text(json.dumps(event), encoding="utf-8")
    reason = "Đảng bộ Khối các cơ quan tỉnh kết thúc hoạt động"
    said: dict[str, str] = {}
    for lang in ("vi", "en"):
        argv = ["--profile", str(profile), "--lang", lang, "notify", str(tmp_path / "ev.json")]
        out = CliRunner().invoke(cli, argv)
        assert out.exit_code == 2, out.output
        # "lỗi: <file>: date: <reason>", one line: what follows the field is the reason
        said[lang] = out.output.strip().partition(": date: ")[2]
    assert said["vi"].startswith("ngày 03/02/2025 là sau khi quy chế này hết áp dụng tại Tỉnh Thử")
    assert said["en"].startswith("2025-02-03 is after this regulation ceased to apply")
    h = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        for lang, path, body, pointer in (
            ("vi", "/v1/notify", event, "/date"),
            ("en", "/v1/notify", event, "/date"),
            ("vi", "/v1/track", event, "/date"),
            ("en", "/v1/notify/batch", {"events": [event]}, "/events/0/date"),
        ):
            r = client.post(path, json=body, headers={**h, "Accept-Language": lang})
            assert r.status_code == 422, r.text
            p = r.json()
            (item,) = p["errors"]
            assert (item["code"], item["pointer"]) == ("regulation_ended", pointer), r.text
            assert item["detail"] == said[lang] and item["detail"].endswith(reason)
            assert p["detail"].endswith(said[lang]) and "dang_uy_khoi" not in p["detail"]
        # a body of the regulation ended alone (the regulation still in force): the body
        r = client.post("/v1/notify", json={**event, "date": "2025-01-31", "received_on":
                        "2025-01-31", "requester": "so_a"}, headers=h)  # fmt: skip
        assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/requester"
