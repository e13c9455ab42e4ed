"""The PySide6 desktop app (the only room that imports Qt)."""

from dis_annotator.ui._pyside_fix import make_none_immortal

make_none_immortal()
