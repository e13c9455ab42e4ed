"""On-disk cache of NoC trajectories of a deterministic segmenter (the plain-GrabCut baseline).

The baseline costs seconds per click and does not depend on the project's code, so its
trajectories are computed once and re-used by every later side-by-side run. An entry is
keyed by the protocol version (``noc.PROTOCOL_VERSION``), the segmenter's own version
string, set, start, stem, click cap and stop IoU, and it remembers a fingerprint of the
image and mask bytes: a changed file is a miss, never a stale hit. A run without a stop
IoU and a cap ≥ the one asked for also answers smaller caps and any stop IoU by
truncation, because the protocol is a prefix of itself (docs/adr/0107).

Layout: ``ROOT/p<protocol>-<segmenter>/<set>/<start>/<stem>.cap<K>.stop<T|none>.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from dis_annotator.metrics.noc import PROTOCOL_VERSION, Click, Step, Trajectory

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def fingerprint(*paths: Path) -> str:
    """SHA-1 over the bytes of ``paths`` in order (the image and its mask)."""
    h = hashlib.sha1()
    for p in paths:
        h.update(Path(p).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _stop_tag(stop_iou: float | None) -> str:
    return "none" if stop_iou is None else f"{stop_iou:.4f}"


def truncate(traj: Trajectory, cap: int, stop_iou: float | None) -> Trajectory:
    """The trajectory ``run_protocol`` would have produced with a smaller cap / a stop IoU."""
    out = Trajectory(traj.name, traj.start, error=traj.error, cached=traj.cached)
    for s in traj.steps:
        if s.clicks > cap:
            break
        if out.steps and stop_iou is not None and out.steps[-1].iou >= stop_iou:
            break
        out.steps.append(s)
    return out


def _to_json(traj: Trajectory) -> list[dict]:
    return [{"k": s.clicks, "iou": s.iou, "ms": s.ms,
             "click": None if s.click is None else [s.click.x, s.click.y, bool(s.click.positive)]}
            for s in traj.steps]


def _from_json(name: str, start: str, steps: list[dict]) -> Trajectory:
    traj = Trajectory(name, start, cached=True)
    for s in steps:
        c = s["click"]
        traj.steps.append(Step(int(s["k"]), float(s["iou"]), float(s["ms"]),
                               None if c is None else Click(int(c[0]), int(c[1]), bool(c[2]))))
    return traj


class TrajectoryCache:
    """Trajectories of one segmenter (``segmenter`` names it and its version) under ``root``."""

    def __init__(self, root: str | Path, segmenter: str) -> None:
        self.root = Path(root) / f"p{PROTOCOL_VERSION}-{_SAFE.sub('_', segmenter)}"

    def _dir(self, set_name: str, start: str) -> Path:
        return self.root / _SAFE.sub("_", set_name) / start

    def path(self, set_name: str, stem: str, start: str, cap: int, stop_iou: float | None) -> Path:
        return self._dir(set_name, start) / f"{_SAFE.sub('_', stem)}.cap{cap}.stop{_stop_tag(stop_iou)}.json"

    def _read(self, path: Path, fp: str) -> dict | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("fingerprint") == fp else None

    def load(self, set_name: str, stem: str, start: str, cap: int, stop_iou: float | None,
             fp: str) -> Trajectory | None:
        """The stored trajectory for this key (exact, or truncated from a longer stop-free
        run), or None."""
        exact = self._read(self.path(set_name, stem, start, cap, stop_iou), fp)
        if exact is not None:
            return _from_json(stem, start, exact["steps"])
        folder = self._dir(set_name, start)
        if not folder.is_dir():
            return None
        prefix = f"{_SAFE.sub('_', stem)}.cap"
        for p in sorted(folder.glob(f"{prefix}*.stopnone.json")):
            try:
                longer = int(p.name[len(prefix):].split(".", 1)[0])
            except ValueError:
                continue
            data = self._read(p, fp) if longer >= cap else None
            if data is not None:
                return truncate(_from_json(stem, start, data["steps"]), cap, stop_iou)
        return None

    def store(self, set_name: str, stem: str, start: str, cap: int, stop_iou: float | None,
              fp: str, traj: Trajectory) -> None:
        """Write atomically (a killed fill never leaves a half entry); errors are not stored."""
        if traj.error is not None:
            return
        path = self.path(set_name, stem, start, cap, stop_iou)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"set": set_name, "stem": stem, "start": start, "cap": cap,
                           "stop_iou": stop_iou, "fingerprint": fp, "steps": _to_json(traj)})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
