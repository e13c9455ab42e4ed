"""``dis-annotator train gt-encoder | refiner | pisam``."""

from __future__ import annotations

import argparse
import importlib

# sub-command modules, each with register(subparsers)
_PROVIDERS = ("dis_annotator.training.isnet_cli", "dis_annotator.training.pisam_cli")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train the refiner (IS5Net), its GT encoder, or Pi-SAM")
    inner = parser.add_subparsers(dest="train_command", metavar="WHAT", required=True)
    for module in _PROVIDERS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(inner)
