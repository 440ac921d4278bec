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
