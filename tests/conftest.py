"""Suite-wide settings: Qt renders offscreen, and no test ever sees a user's weights.

Weights are searched in $DIS_ANNOTATOR_MODELS, the repository's models/ and the user data
folder; all three are pointed away here (tests that want weights make their own tiny ones).
"""

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_ISOLATED = tempfile.mkdtemp(prefix="dis-annotator-tests-")
atexit.register(shutil.rmtree, _ISOLATED, ignore_errors=True)  # one per run, not one left per run
os.environ["DIS_ANNOTATOR_MODELS"] = os.path.join(_ISOLATED, "models")
os.environ["DIS_ANNOTATOR_DATA_DIR"] = os.path.join(_ISOLATED, "data")


@pytest.fixture(autouse=True)
def _no_repo_weights(monkeypatch):
    from dis_annotator.engine.weights import paths

    monkeypatch.setattr(paths, "repo_models_dir", lambda: None)
