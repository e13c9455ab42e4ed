"""``dis-annotator gui [PATH]``: the desktop app on an image or a folder (the default command)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("gui", help="open the desktop app (default when no command is given)")
    p.add_argument("path", nargs="?", default=None, help="an image or a folder of images")
    p.add_argument(
        "--engine",
        choices=("auto", "classical", "sam"),
        default=None,
        help="coarse stage for this session (default: the app setting, 'auto')",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.path is not None and not Path(args.path).exists():
        print(f"dis-annotator: {args.path}: no such file or folder")
        return 2
    try:
        from dis_annotator.ui import app
    except ImportError as exc:
        print(f"dis-annotator: the desktop app needs PySide6 ({exc})")
        return 1
    factory = app.pipeline_factory(args.engine) if args.engine is not None else None
    return app.run(args.path, factory)
