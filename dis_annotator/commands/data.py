"""``dis-annotator data synth | coarse-masks``."""

from __future__ import annotations

import argparse

from dis_annotator.training import data_cli


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("data", help="generate synthetic DIS-like data, precompute coarse masks")
    inner = parser.add_subparsers(dest="data_command", metavar="WHAT", required=True)
    data_cli.register(inner)
