"""Text for ``dis-annotator --version``: app, torch, device, installed weights."""

from __future__ import annotations

import platform


def version_text() -> str:
    from dis_annotator import __version__

    lines = [f"dis-annotator {__version__} (Python {platform.python_version()})"]
    try:
        import torch

        device = "cuda" if torch.cuda.is_available() else (
            "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu"
        )
        lines.append(f"torch {torch.__version__}, device {device}")
    except ImportError as exc:
        # "installed but broken" (e.g. a bundle missing a module) must not read as "absent"
        lines.append("torch not installed" if exc.name == "torch" else f"torch failed to import: {exc}")
    from dis_annotator.engine.weights import installed_summary

    lines.append(installed_summary())
    return "\n".join(lines)
