"""Work around PySide6 6.12 dropping a reference to ``None`` on every void call (CPython < 3.12).

Every call of a binding that returns nothing (``QWidget.update()``,
``QApplication.processEvents()`` …) decrements ``None``'s reference count without the
matching increment — harmless on CPython 3.12+, where ``None`` is immortal, fatal on 3.11:
after a few thousand calls (one mouse-move repaints several rects) the interpreter
aborts with "none_dealloc: deallocating None". We give ``None`` the same immortality
3.12 has: a reference count so large that no session can drain it (docs/adr/0074).
"""

from __future__ import annotations

import sys

_IMMORTAL = 1 << 60


def make_none_immortal() -> bool:
    """Raise ``None``'s reference count out of reach; True when it was needed and done."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes

    # ob_refcnt is the first field of every CPython object (Py_ssize_t).
    refcnt = ctypes.c_ssize_t.from_address(id(None))
    if refcnt.value < _IMMORTAL:
        refcnt.value += _IMMORTAL
    return True
