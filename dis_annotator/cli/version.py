"""Text for ``dis-annotator --version``: app, torch, device, installed weights."""

from __future__ import annotations

import platform


def version_text() -> str:
    from dis_annotator import __version__

    lines = [f"dis-annotator {__version__} (Python {platform.python_version()})"]
    try:
        import torch

        from dis_annotator.engine.device import pick_device

        lines.append(f"torch {torch.__version__}, device {pick_device()}")
    except ImportError as exc:
        # "installed but broken" (e.g. a bundle missing a module) must not read as "absent"
        lines.append("torch not installed" if exc.name == "torch" else f"torch failed to import: {exc}")
    from dis_annotator.engine.weights import installed_summary

    lines.append(installed_summary())
    return "\n".join(lines)
