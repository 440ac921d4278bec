"""Exit statuses a script can branch on: 0 ok, 2 fix your input, 1 try again later
(database unreachable, missing optional dependency, with the extra to install)."""

from __future__ import annotations

import sys

import pytest

from quyche_rules.cli.main import main

DOWN = "postgresql://nobody@127.0.0.1:1/quyche"  # port 1: refused at once


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    code = info.value.code
    assert isinstance(code, int)
    return code, capsys.readouterr().err


def test_ok_is_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["deadline", "2025-01-02"], capsys)[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["notify", "/nonexistent/event.yaml"],
        ["deadline", "not-a-date"],
        ["track", "status", "--db", "foo://x"],
        ["no-such-command"],
    ],
)
def test_bad_input_is_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(argv, capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err


@pytest.mark.parametrize("argv", [["track", "status"], ["keys", "list"]])
def test_unreachable_database_is_1(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run([*argv, "--db", DOWN], capsys)
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err


def test_missing_optional_dependency_is_1_and_names_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    code, err = _run(["keys", "list", "--db", DOWN], capsys)
    assert code == 1, err
    assert "pip install 'quyche-rules[postgresql]'" in err


def test_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "1 a failure a retry may fix" in out and "2 bad input" in out
