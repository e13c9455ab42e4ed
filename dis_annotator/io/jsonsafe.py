"""JSON parsing for user files: every failure is one ``JsonError`` line, never a traceback.

``json.loads`` alone raises ``RecursionError`` on deep nesting, a plain ``ValueError``
for integers over Python's digit limit and ``MemoryError`` on huge input, and silently
keeps the last of duplicate keys. Readers of box files and sidecars call
:func:`parse_json` and turn ``JsonError`` into their own error type (docs/adr/0122).
"""

from __future__ import annotations

import json
from typing import Any


class JsonError(ValueError):
    """Text that is not usable JSON; ``str(exc)`` is a one-line reason."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonError(f"duplicate key {key[:80]!r} in a JSON object")
        out[key] = value
    return out


def parse_json(text: str, allow_duplicate_keys: bool = False) -> Any:
    """``json.loads(text)`` with one-line :class:`JsonError` for anything unusable."""
    hook = None if allow_duplicate_keys else _no_duplicates
    try:
        return json.loads(text, object_pairs_hook=hook)
    except JsonError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonError(f"invalid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise JsonError("invalid JSON (nested too deeply)") from None
    except MemoryError:
        raise JsonError("invalid JSON (too large to read)") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise JsonError(f"invalid JSON ({first[:120]})") from None
