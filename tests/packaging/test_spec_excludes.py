"""What the PyInstaller spec leaves out must not be needed by the app's import paths.

A full bundle build takes many minutes (test_bundle.py, slow); this replays the spec's
``excludes`` in a normal interpreter — each excluded module made unimportable — and imports
what the bundle imports: torch (which itself pulls in torch.testing._internal, an exclusion
that once broke the bundle), the SAM model code, every command, and a classical pipeline.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "dis-annotator.spec"


def spec_excludes() -> list[str]:
    for node in ast.walk(ast.parse(SPEC.read_text())):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "excludes" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError("no `excludes = [...]` in the spec")


def test_excludes_are_real_module_names():
    names = spec_excludes()
    assert "torchvision" in names and "tkinter" in names
    assert all(n.replace("_", "").replace(".", "").isalnum() for n in names)
    assert not [n for n in names if n == "torch" or n.startswith(("dis_annotator", "numpy", "cv2"))]


def test_app_imports_work_without_the_excluded_modules(tmp_path):
    code = f"""
import sys
for name in {spec_excludes()!r}:
    sys.modules[name] = None  # what a bundle without them looks like
import torch, torch.nn.functional
from dis_annotator.nets import sam_import
assert sam_import.sam_model_registry
from dis_annotator import cli
cli.build_parser()
from dis_annotator.engine.factory import build_pipeline
print(build_pipeline(engine="classical", refiner="classical").summary())
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIS_ANNOTATOR_MODELS": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
