"""``dis-annotator models list | download NAME | import PATH [--name N] | verify [NAME] | remove NAME``."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "models",
        help="list, download, import, verify or remove model weights",
        description="Manage model weights (searched in $DIS_ANNOTATOR_MODELS, the "
        "repository's models/, then the user data folder).",
    )
    inner = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = inner.add_parser("list", help="known models and where they are installed")
    p.set_defaults(func=run_list)
    p = inner.add_parser("download", help="download with progress, resume and SHA-256 check")
    p.add_argument("name", help="model name, e.g. sam_vit_b")
    p.set_defaults(func=run_download)
    p = inner.add_parser("import", help="register a checkpoint you downloaded by hand")
    p.add_argument("path")
    p.add_argument("--name", help="model name (guessed from hash, file name or content)")
    p.set_defaults(func=run_import)
    p = inner.add_parser("verify", help="check installed files against the manifest")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=run_verify)
    p = inner.add_parser("remove", help="delete an installed model")
    p.add_argument("name")
    p.set_defaults(func=run_remove)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def run_list(args: argparse.Namespace) -> int:
    from dis_annotator.engine import weights
    from dis_annotator.engine.errors import WeightsError

    try:
        rows = weights.list_models()
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURES
    width = max(len(r.name) for r in rows)
    for r in rows:
        where = str(r.path) if r.path else ("local only: train, then models import"
                                            if r.local_only else "not installed")
        print(f"{r.name:<{width}}  {r.kind:<7} {_size(r.size):>8}  {r.license:<10} {where}")
        if r.note:
            print(f"{'':<{width}}  note: {r.note}")
    print("search order: " + ", ".join(str(d) for d in weights.search_dirs()))
    return EXIT_OK


def run_download(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from dis_annotator.engine import weights
    from dis_annotator.engine.errors import WeightsError

    try:
        info = weights.get(args.name)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar = tqdm(total=info.size, unit="B", unit_scale=True, unit_divisor=1024, desc=info.file)

    def progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        path = weights.download(info.name, progress=progress)
    except weights.DownloadCancelled as exc:
        print(f"\n{exc}", file=sys.stderr)
        return EXIT_FAILURES
    except WeightsError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURES
    bar.close()
    print(f"{info.name}: {path}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    from dis_annotator.engine import weights
    from dis_annotator.engine.errors import WeightsError

    if args.name is not None:
        try:
            weights.get(args.name)
        except WeightsError as exc:  # a name the manifest does not know: a usage error
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        path = weights.import_model(args.path, args.name)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURES
    except OSError as exc:
        print(f"error: {args.path}: cannot copy ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_FAILURES
    print(f"imported: {path}")
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    from dis_annotator.engine import weights
    from dis_annotator.engine.errors import WeightsError

    try:
        results = weights.verify(args.name)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not results:
        print("no weights installed")
        return EXIT_OK
    for r in results:
        print(r.line())
    return EXIT_OK if all(r.usable for r in results) else EXIT_FAILURES


def run_remove(args: argparse.Namespace) -> int:
    from dis_annotator.engine import weights
    from dis_annotator.engine.errors import WeightsError

    try:
        removed = weights.remove(args.name)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURES
    if not removed:
        print(f"{args.name}: not installed")
        return EXIT_FAILURES
    for p in removed:
        print(f"removed {p}")
    return EXIT_OK
