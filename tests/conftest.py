"""Suite-wide settings: Qt renders offscreen; torch uses the machine's two cores politely."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests must never see a user's installed weights: each test that wants weights makes them.
os.environ.setdefault("DIS_ANNOTATOR_MODELS", os.path.join(os.path.dirname(__file__), "_no_models"))
