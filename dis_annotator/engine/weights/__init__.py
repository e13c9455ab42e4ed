"""Model manager: manifest, search paths, download, import, verify, remove.

See ``models/README.md`` for the user-facing story and docs/adr/0040 for the choices.
"""

from __future__ import annotations

from dis_annotator.engine.weights.downloader import (
    DownloadCancelled,
    DownloadError,
    ResumableDownloader,
    download,
    manual_hint,
)
from dis_annotator.engine.weights.manifest import ModelInfo, get
from dis_annotator.engine.weights.paths import download_dir, search_dirs, user_models_dir
from dis_annotator.engine.weights.registry import (
    VerifyResult,
    import_model,
    installed_summary,
    list_models,
    locate,
    remove,
    verify,
)
from dis_annotator.engine.weights.resolve import ResolvedWeights, resolve_weights

__all__ = [
    "DownloadCancelled",
    "DownloadError",
    "ModelInfo",
    "ResolvedWeights",
    "ResumableDownloader",
    "VerifyResult",
    "download",
    "download_dir",
    "get",
    "import_model",
    "installed_summary",
    "list_models",
    "locate",
    "manual_hint",
    "remove",
    "resolve_weights",
    "search_dirs",
    "user_models_dir",
    "verify",
]
