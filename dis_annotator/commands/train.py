"""``dis-annotator train gt-encoder | refiner | pisam``."""

from __future__ import annotations

import argparse

from dis_annotator.training import isnet_cli, pisam_cli


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train the refiner (IS5Net), its GT encoder, or Pi-SAM")
    inner = parser.add_subparsers(dest="train_command", metavar="WHAT", required=True)
    isnet_cli.register(inner)
    pisam_cli.register(inner)
