"""``dis-annotator data synth | coarse-masks``."""

from __future__ import annotations

import argparse
import importlib


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("data", help="generate synthetic DIS-like data, precompute coarse masks")
    inner = parser.add_subparsers(dest="data_command", metavar="WHAT", required=True)
    module = "dis_annotator.training.data_cli"
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return
    mod.register(inner)
