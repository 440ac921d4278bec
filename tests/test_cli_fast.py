"""``quyche notify FILE... --json`` without Typer or Rich (``cli.fast``) says exactly what
the Typer command says: the same bytes out, the same one-line refusals, the same exit
status; and on its own path it imports neither Typer, Click nor Rich."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from quyche_rules import cli
from quyche_rules.cli import fast
from quyche_rules.cli.main import main as typer_main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "events").glob("*.yaml"))
ONE = EXAMPLES[0]
Outcome = tuple[int, str, str]


def _typer(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    with pytest.raises(SystemExit) as done:
        typer_main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _entry(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


ANSWERED = [
    ["notify", *EXAMPLES, "--json"],
    ["notify", "--json", ONE, "--indent", "2"],
    ["notify", ONE, "--json", "--indent=0", "--backend", "python"],
    ["notify", ONE, "--max-bytes", "100000", "--json", "--backend=durable"],
    ["notify", ONE, "--json", "--profile", "dak-lak"],
]


@pytest.mark.parametrize("argv", ANSWERED, ids=lambda a: " ".join(a[1:])[-40:])
def test_the_fast_answer_is_the_typer_answer(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("QUYCHE_PROFILE", raising=False)
    code = fast.answer(argv)
    out, err = capsys.readouterr()
    assert (code, out, err) == _typer(argv, capsys)
    assert code is not None and out, "the fast path answered it"


def test_an_event_on_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (ROOT / ONE).read_bytes()
    _stdin(monkeypatch, data)
    assert fast.answer(["notify", "-", "--json"]) == 0
    got = capsys.readouterr()
    _stdin(monkeypatch, data)
    assert (0, got.out, got.err) == _typer(["notify", "-", "--json"], capsys)
    assert json.loads(got.out)[0]["event_file"] == "-"


REFUSED: list[tuple[list[str], bytes | None]] = [
    (["notify", "no-such-file.yaml", "--json"], None),
    (["notify", ONE, "no-such-file.yaml", "--json"], None),
    (["notify", "-", "--json"], b"type: coordination_requested\ndate: 2025-01-23\n"),
    (["notify", "-", "--json"], b"type: [unclosed\n"),
    (["notify", "-", "--json"], "type: x\ndate: 2025-01-23\nrequester: Không có\n".encode()),
    (["notify", ONE, "--json", "--backend", "fast"], None),
    (["notify", ONE, "--json", "--indent", "99"], None),
    (["notify", ONE, "--json", "--max-bytes", "10"], None),
    (["notify", ONE, "--json", "--max-bytes", "0"], None),
    (["notify", ONE, "--json", "--profile", "no-such-profile"], None),
    (["notify", "--json"], None),
    (["notify", ONE, "--json", "--help"], None),
    (["notify", ONE, "--json", "--json"], None),
    (["notify", ONE, "--json", "--unknown"], None),
    (["notify", ONE, "--json", "--backend"], None),
]


@pytest.mark.parametrize(
    ("argv", "stdin"), REFUSED, ids=[f"{i}: {' '.join(a[1:])}" for i, (a, _) in enumerate(REFUSED)]
)
def test_refusals_are_the_typer_refusals(
    argv: list[str],
    stdin: bytes | None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the fast path leaves to Typer (failures, other forms): through the entry point
    (fast path first, then Typer) exactly as through Typer alone."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("QUYCHE_PROFILE", raising=False)
    if stdin is not None:
        _stdin(monkeypatch, stdin)
    got = _entry(argv, capsys)
    if stdin is not None:
        _stdin(monkeypatch, stdin)
    assert got == _typer(argv, capsys)
    assert fast.answer(argv) is None


def _run(code: str, *argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, cwd=ROOT, timeout=120
    )


ENTRY = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules))))\n"
    "from quyche_rules.cli import main\n"
    "main(sys.argv[1:])\n"
)
TYPER = "import sys\nfrom quyche_rules.cli.main import main\nmain(sys.argv[1:])\n"


def _modules(stderr: bytes) -> tuple[str, set[str]]:
    text = stderr.decode()
    err, _, mods = text.partition("MODULES ")
    return err, {m.split(".")[0] for m in mods.split()}


def test_the_fast_path_imports_no_typer_click_or_rich() -> None:
    """A fresh interpreter, as a clerk's script runs it: the answer's bytes are the Typer
    path's, and neither Typer, Click nor Rich was imported."""
    argv = ["notify", *EXAMPLES, "--json"]
    fast_run, typer_run = _run(ENTRY, *argv), _run(TYPER, *argv)
    err, modules = _modules(fast_run.stderr)
    assert fast_run.returncode == typer_run.returncode == 0, err
    assert fast_run.stdout == typer_run.stdout and err == typer_run.stderr.decode() == ""
    assert not {"typer", "click", "rich"} & modules, sorted(modules)
    assert "quyche_rules" in modules


SPARE = (
    "import atexit, sys\n"
    "def show():\n"
    "    loader = sys.modules.get('quyche_rules.rulebook.loader')\n"
    "    built = loader.ArticleFileModel.__pydantic_complete__ if loader else None\n"
    "    sys.stderr.write(f'VALIDATED {built} MODULES ' + ' '.join(sorted(sys.modules)))\n"
    "atexit.register(show)\n"
    "from quyche_rules.cli import main\n"
    "main(sys.argv[1:])\n"
)


def _spare_run(argv: list[str], cache: Path) -> tuple[bytes, str, set[str]]:
    run = subprocess.run(
        [sys.executable, "-c", SPARE, *argv],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "QUYCHE_CACHE_DIR": str(cache)},
    )
    err, _, mods = run.stderr.decode().partition(" MODULES ")
    assert run.returncode == 0, err
    return run.stdout, err, set(mods.split())


def test_the_fast_path_loads_only_what_the_answer_needs(tmp_path: Path) -> None:
    """Neither the layers above the engine, nor the profiles' or explanations' models when
    no profile is named, nor the libraries of the service and the pages; the rules cached
    by the first run, the engine validates no rule file (the validating model is never even
    built); and once the engine is written down (``engine.snapshot``), pydantic itself is
    not imported: no model class is built, the answer's bytes are the same."""
    argv = ["notify", EXAMPLES[0], "--json"]
    first, _, _ = _spare_run(argv, tmp_path)  # fills the caches: rules and snapshot
    shutil.rmtree(tmp_path / "answers")  # the engine answers again, from the rules' cache
    out, err, modules = _spare_run(argv, tmp_path)
    assert err == "VALIDATED False" and out == first, err
    unwanted = {"sqlalchemy", "httpx", "jinja2", "babel", "fastapi", "holidays", "alembic"}
    assert not unwanted & {m.split(".")[0] for m in modules}
    ours = {m for m in modules if m.startswith("quyche_rules.")}
    for spare in ("model.profiles", "engine.whynot", "tracker", "service", "pages", "db"):
        assert not any(m.startswith(f"quyche_rules.{spare}") for m in ours), spare
    assert (tmp_path / "answers").is_dir()  # written down again
    out, err, modules = _spare_run(argv, tmp_path)
    assert err == "VALIDATED None" and out == first, err
    assert not {m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core")}
    assert not {"quyche_rules.model.events", "quyche_rules.engine.engine"} & modules


def test_a_refusal_in_a_fresh_interpreter_is_the_typer_one() -> None:
    argv = ["notify", ONE, "no-such-file.yaml", "--json"]
    fast_run, typer_run = _run(ENTRY, *argv), _run(TYPER, *argv)
    err, modules = _modules(fast_run.stderr)
    assert (fast_run.returncode, fast_run.stdout, err) == (
        typer_run.returncode,
        typer_run.stdout,
        typer_run.stderr.decode(),
    )
    assert fast_run.returncode == 2 and "no-such-file.yaml" in err and err.count("\n") == 1
    assert "typer" in modules  # the refusal is Typer's own


def test_the_profile_variable_is_the_profiles_own() -> None:
    """``fast`` names ``$QUYCHE_PROFILE`` without importing the profiles' models."""
    from quyche_rules.model.profiles import PROFILE_ENV

    assert fast.PROFILE_ENV == PROFILE_ENV


def _one_with(**changes: str) -> bytes:
    """The first example with some lines changed (``None``-like values written as YAML)."""
    lines = (ROOT / ONE).read_text(encoding="utf-8").splitlines()
    out = [ln for ln in lines if ln.split(":")[0] not in changes]
    out += [f"{k}: {v}" for k, v in changes.items()]
    return ("\n".join(out) + "\n").encode()


NFD = unicodedata.normalize("NFD", "Ban Nội chính Tỉnh ủy")
FORMS: list[bytes] = [
    (ROOT / ONE).read_bytes(),
    _one_with(requested=NFD),
    _one_with(reference=unicodedata.normalize("NFD", "Công văn số 12-CV/ĐUK")),
    _one_with(date="2025-02-30"),
    _one_with(date="20250123"),
    _one_with(type="no_such_type"),
    _one_with(requested="Không có cơ quan này"),
    _one_with(extra_field="1"),
    _one_with(reference="null"),
    _one_with(summary='"a\\u001bb"'),
    b"type: [unclosed\n",
    b"- a list\n",
]


@pytest.fixture
def written_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of its own, with the engine written down by one answer."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("QUYCHE_PROFILE", raising=False)
    monkeypatch.setenv("QUYCHE_CACHE_DIR", str(tmp_path))
    assert fast.answer(["notify", ONE, "--json"]) == 0
    assert len(list((tmp_path / "answers").glob("*.json"))) == 1
    return tmp_path


@pytest.mark.parametrize("form", range(len(FORMS)))
def test_forms_through_the_snapshot_are_the_typer_ones(
    form: int,
    written_down: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answers and refusals, the snapshot present: byte for byte and exit status as Typer."""
    capsys.readouterr()
    argv = ["notify", "-", "--json"]
    _stdin(monkeypatch, FORMS[form])
    got = _entry(argv, capsys)
    _stdin(monkeypatch, FORMS[form])
    assert got == _typer(argv, capsys)


def test_the_snapshot_answers_without_the_engine(
    written_down: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    argv = ["notify", *EXAMPLES, "--json", "--indent", "2"]

    def no_engine(*args: object) -> None:
        raise AssertionError("the engine was asked")

    monkeypatch.setattr(fast, "_engine", no_engine)
    assert fast.answer(argv) == 0
    out = capsys.readouterr().out
    assert (0, out, "") == _typer(argv, capsys)
    _stdin(monkeypatch, _one_with(date="2025-02-30"))
    assert fast.answer(["notify", "-", "--json"]) is None  # handed back, then refused


def test_a_damaged_or_foreign_entry_is_ignored_and_replaced(
    written_down: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    argv = ["notify", *EXAMPLES, "--json"]
    want = _typer(argv, capsys)
    [entry] = (written_down / "answers").glob("*.json")
    good = entry.read_bytes()
    head, _, body = good.partition(b"\n")
    # a body's name changed, as a damaged disk or a hand would; the key of another entry
    wrong = body.replace("Ban Nội chính".encode(), b"Ban Ngoai chinh", 1)
    entry_data = json.loads(body)
    foreign = json.dumps({**entry_data, "key": "0" + entry_data["key"]}).encode()
    assert wrong != body and foreign != body
    for bad in (
        head + b"\n" + wrong,  # damaged: the checksum fails
        hashlib.sha256(foreign).hexdigest().encode() + b"\n" + foreign,  # another key's
        b"",
    ):
        entry.write_bytes(bad)
        assert fast.answer(argv) == 0
        assert (0, capsys.readouterr().out, "") == want
        assert entry.read_bytes() == good  # written down again by the engine
