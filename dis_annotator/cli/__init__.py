"""``dis-annotator``: one entry point; every sub-command lives beside this file.

The rule (docs/adr/0092): ``dis-annotator NAME …`` is the module ``dis_annotator/cli/NAME.py``,
listed in ``COMMANDS``. It exposes ``register(subparsers)``, which adds its parser (and its
own sub-parsers, e.g. ``train refiner``) and sets ``func`` to a ``run…(args) -> int``. A
command module parses arguments, calls into its room (``batch``, ``training``,
``metrics``, ``engine.weights`` …) and prints; the work itself lives in that room.
Modules import only argparse at top level so that ``--help`` and start-up stay fast;
heavy imports happen inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("gui", "segment", "models", "eval", "data", "train")

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def _version_text() -> str:
    from dis_annotator.cli.version import version_text

    return version_text()


class _VersionAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print versions, device and installed weights")

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        print(_version_text())
        parser.exit(EXIT_OK)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dis-annotator",
        description="Pixel-perfect object masks from a box and a few clicks.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"dis_annotator.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # No sub-command (or just a path) opens the app, like most desktop tools.
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        args_list = ["gui", *args_list]
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    if getattr(args, "func", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
