"""PyInstaller entry point: the same ``dis-annotator`` command as the wheel's console script.

``DIS_ANNOTATOR_SMOKE_TEST=1 dis-annotator [gui args]`` opens the main window, reports it
and quits (packaging/smoke.py) — how packaging/check_bundle.sh proves the frozen app can
open its window without a person clicking it shut.
"""

import multiprocessing
import os
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch DataLoader workers on Windows/macOS (spawn)
    if os.environ.get("DIS_ANNOTATOR_SMOKE_TEST"):
        from smoke import main as smoke_main

        raise SystemExit(smoke_main(sys.argv[1:]))
    from dis_annotator.cli import main

    raise SystemExit(main())
