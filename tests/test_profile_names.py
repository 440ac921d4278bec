"""Packaged profiles are named, not located: ``dak-lak`` works from any directory and from
an installed wheel (tests/test_wheel.py); a path still works; errors keep the path typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quyche_rules import Engine, ProfileError, load_profile
from quyche_rules.cli import main
from quyche_rules.model.profiles import profile_from_env

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "examples/events/03-1-de-nghi-phoi-hop-truoc-tet.yaml"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_a_packaged_profile_by_name_is_the_file_by_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no profiles/ here
    by_name = load_profile("dak-lak")
    by_path = load_profile(ROOT / "profiles" / "dak-lak.yaml")
    assert by_name.label == by_path.label  # same file name and hash in receipts
    assert Engine(profile="dak-lak").profile is not None
    monkeypatch.setenv("QUYCHE_PROFILE", "dak-lak")
    env = profile_from_env()
    assert env is not None and env.sha256 == by_path.sha256


def test_an_unknown_name_or_a_missing_path_keeps_what_was_typed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProfileError) as exc:
        load_profile("nam-dinh")
    assert str(exc.value).startswith("nam-dinh: ") and "packaged: dak-lak" in str(exc.value)
    with pytest.raises(ProfileError) as exc:
        load_profile("profiles/dak-lak.yaml")
    assert str(exc.value) == "profiles/dak-lak.yaml: cannot read (file not found)"


def test_a_file_in_the_current_directory_wins_over_a_packaged_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dak-lak").write_text("province: [\n", encoding="utf-8")
    with pytest.raises(ProfileError):  # the local (broken) file, not the packaged one
        load_profile("dak-lak")


def test_cli_profile_by_name_and_profiles_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _cli(capsys, "notify", "--profile", "dak-lak", "--json", str(EVENT))
    assert code == 0 and json.loads(out)[0]["due"] == "2025-02-11"
    code, out, _ = _cli(capsys, "profiles", "list", "--json")
    (row,) = json.loads(out)
    assert row["name"] == "dak-lak" and row["province"] == "Đắk Lắk" and row["bodies"] > 10
    code, out, _ = _cli(capsys, "profiles", "list")
    assert code == 0 and "dak-lak" in out and "14/08/2023" in out  # dd/mm/yyyy for people
    code, _, err = _cli(capsys, "notify", "--profile", "x/dak-lak.yaml", str(EVENT))
    assert code == 2 and err == "error: x/dak-lak.yaml: cannot read (file not found)\n"
