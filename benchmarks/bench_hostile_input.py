"""Cost of refusing hostile input, against a valid event measured in the same run.

Runs the hostile corpus of ``tests/test_hostile_input.py`` (each file as a file and on
stdin, plus the usage errors) through the installed ``quyche`` console script, one process
per run under a 1 GiB address-space cap, and prints: runs, clean refusals (status 2, one
line starting ``error:``, no traceback), the worst wall time and the worst peak RSS of any
run, and their ratios to the same figures for a valid event (the baseline). Never asserted.

Run: ``.venv/bin/python benchmarks/bench_hostile_input.py``
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_hostile_input import EXAMPLE, MEMORY_CAP, USAGE, _corpus  # noqa: E402

EXE = str(Path(sys.executable).parent / "quyche")


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run(argv: list[str], stdin: bytes, cwd: str) -> tuple[int, str, float, float]:
    """(status, stderr, seconds, peak RSS in MB) of one capped process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [EXE, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_cap,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        proc.stdin.write(stdin)
        proc.stdin.close()
    except BrokenPipeError:  # the CLI refused before reading everything
        pass
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err, time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = [run(["notify", str(EXAMPLE)], b"", tmp) for _ in range(3)]
        base_t = min(b[2] for b in base)
        base_m = max(b[3] for b in base)
        results: list[tuple[str, int, str, float, float]] = []
        for name, content in _corpus().items():
            path = Path(tmp) / f"{name}.yaml"
            path.write_bytes(content)
            results.append((f"file:{name}", *run(["notify", str(path)], b"", tmp)))
            results.append((f"stdin:{name}", *run(["notify", "-"], content, tmp)))
        for name, argv in USAGE.items():
            results.append((f"usage:{name}", *run(argv, b"", tmp)))
    clean = [
        r
        for r in results
        if r[1] == 2
        and r[2].startswith("error: ")
        and r[2].count("\n") == 1
        and "Traceback" not in r[2]
    ]
    worst_t = max(results, key=lambda r: r[3])
    worst_m = max(results, key=lambda r: r[4])
    print(f"baseline (valid event): {base_t:.2f} s, peak RSS {base_m:.0f} MB")
    print(f"runs: {len(results)}; clean refusals: {len(clean)}")
    print(
        f"worst time: {worst_t[3]:.2f} s ({worst_t[0]}), "
        f"{worst_t[3] / base_t:.2f} x the valid event"
    )
    print(
        f"worst peak RSS: {worst_m[4]:.0f} MB ({worst_m[0]}), "
        f"{worst_m[4] / base_m:.2f} x the valid event"
    )
    for r in results:
        if r not in clean:
            print(f"NOT CLEAN: {r[0]}: status {r[1]}: {r[2][:200]!r}")


if __name__ == "__main__":
    main()
