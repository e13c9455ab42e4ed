"""Start-up time of dis-annotator: process start → help/version printed, → main window shown.

No weights are visible (``DIS_ANNOTATOR_MODELS`` points at an empty folder), the window
opens offscreen, HOME is a throw-away folder. Each case runs in a fresh process ``--repeats``
times; the table gives the median and the minimum wall time from spawning the process to
the moment its output says it got there (for the window: packaging/smoke.py's
``SMOKE window-shown`` line, i.e. after ``window.show()`` on the first event-loop pass;
"pipeline" = the inference thread has built its pipeline, torch imported).

    python benchmarks/startup_time.py [--repeats 5] [--bundle dist/dis-annotator] [--importtime]

``--bundle`` adds the same cases for a PyInstaller build; ``--importtime`` prints the
slowest imports (``python -X importtime``) of ``--version`` and of the window start.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "packaging" / "smoke.py"


def _env(tmp: Path, bundle: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if not bundle:
        env["PYTHONPATH"] = str(REPO)
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
        DIS_ANNOTATOR_DATA_DIR=str(tmp / "userdata"),
        DIS_ANNOTATOR_MODELS=str(tmp / "no-models"),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


def time_until(cmd: list[str], env: dict[str, str], cwd: Path, marks: tuple[str, ...]) -> dict[str, float]:
    """Wall seconds from spawn to each ``marks`` line prefix (or to exit: key "exit")."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    got: dict[str, float] = {}
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter() - t0
        tail = (tail + [line])[-20:]
        for m in marks:
            if m not in got and line.startswith(m):
                got[m] = now
    rc = proc.wait()
    got["exit"] = time.perf_counter() - t0
    if rc != 0 or any(m not in got for m in marks):
        raise RuntimeError(f"{' '.join(cmd)} failed (rc {rc}):\n{''.join(tail)}")
    return got


def cases(python: str, bundle_exe: Path | None) -> list[tuple[str, list[str], tuple[str, ...], bool, dict]]:
    """(label, command, marks, is_bundle, extra env)."""
    src = [python, "-m", "dis_annotator"]
    out = [
        ("source: --help", [*src, "--help"], (), False, {}),
        ("source: --version", [*src, "--version"], (), False, {}),
        ("source: gui", [python, str(SMOKE)], ("SMOKE window-shown", "SMOKE pipeline-"), False, {}),
    ]
    if bundle_exe is not None:
        exe = [str(bundle_exe)]
        out += [
            ("bundle: --help", [*exe, "--help"], (), True, {}),
            ("bundle: --version", [*exe, "--version"], (), True, {}),
            ("bundle: gui", exe, ("SMOKE window-shown", "SMOKE pipeline-"), True,
             {"DIS_ANNOTATOR_SMOKE_TEST": "1"}),
        ]
    return out


def importtime(python: str, args: list[str], env: dict[str, str], cwd: Path, top: int) -> None:
    proc = subprocess.run([python, "-X", "importtime", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top-level and first-level imports only
            rows.append((int(m.group(2)) / 1e6, int(m.group(1)) / 1e6, m.group(3) + m.group(4)))
    print(f"\n-X importtime {' '.join(args)}: slowest imports (cumulative s, self s)")
    for cum, self_s, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cum:7.3f} {self_s:7.3f}  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bundle", type=Path, help="PyInstaller folder (or its executable)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--importtime", action="store_true")
    args = ap.parse_args()
    exe = None
    if args.bundle is not None:
        bundle = args.bundle.resolve()
        exe = bundle / "dis-annotator" if bundle.is_dir() else bundle
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "home").mkdir()
        print(f"dis-annotator start-up, {args.repeats} runs each, load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'case':<20} {'milestone':<20} {'median s':>9} {'min s':>7}")
        for label, cmd, marks, is_bundle, extra in cases(args.python, exe):
            env = {**_env(tmp, is_bundle), **extra}
            runs = [time_until(cmd, env, tmp, marks) for _ in range(args.repeats)]
            for key in (*marks, "exit"):
                values = [r[key] for r in runs]
                name = {"SMOKE window-shown": "window shown", "SMOKE pipeline-": "pipeline built"}.get(key, key)
                print(f"{label:<20} {name:<20} {statistics.median(values):9.2f} {min(values):7.2f}")
        if args.importtime:
            env = _env(tmp, False)
            importtime(args.python, ["-m", "dis_annotator", "--version"], env, tmp, 12)
            importtime(args.python, [str(SMOKE)], env, tmp, 16)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
