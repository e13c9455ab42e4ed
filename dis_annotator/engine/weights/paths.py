"""Where weights are searched and where downloads go.

Search order: ``$DIS_ANNOTATOR_MODELS`` (one or more folders, ``os.pathsep``-separated),
the repository's ``models/`` (or the copy bundled in a wheel), then the per-user data
folder (platformdirs; ``$DIS_ANNOTATOR_DATA_DIR`` overrides it). Downloads and imports go
to the first ``$DIS_ANNOTATOR_MODELS`` folder when set, else to the user folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

APP_NAME = "dis-annotator"


def env_dirs() -> list[Path]:
    raw = os.environ.get("DIS_ANNOTATOR_MODELS", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def repo_models_dir() -> Path | None:
    from dis_annotator.resources import data_root

    try:
        return data_root("models")
    except FileNotFoundError:
        return None


def user_data_dir() -> Path:
    override = os.environ.get("DIS_ANNOTATOR_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def search_dirs() -> list[Path]:
    """Folders searched for weights, in order (duplicates removed)."""
    dirs = [*env_dirs()]
    repo = repo_models_dir()
    if repo is not None:
        dirs.append(repo)
    dirs.append(user_models_dir())
    seen: set[str] = set()
    out = []
    for d in dirs:
        key = os.path.normcase(os.path.abspath(d))
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def find_in_search_dirs(files: Sequence[str]) -> Path | None:
    """The first existing ``<dir>/<file>``: folders in search order, then ``files`` in order."""
    for d in search_dirs():
        for f in files:
            p = Path(d) / f
            if p.is_file():
                return p
    return None


def download_dir() -> Path:
    """Where downloads and imports are written (created on demand)."""
    envs = env_dirs()
    d = envs[0] if envs else user_models_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d
