"""Hypothesis strategies shared by the reader fuzz tests: JSON values and byte mutations."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Deterministic by default (the suite must not flake); DIS_FUZZ_EXAMPLES=5000 digs deeper.
EXAMPLES = int(os.environ.get("DIS_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("DIS_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed file with a few random edits: flipped bytes, a cut, an insertion, a splice."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "overwrite"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[i: i + draw(st.integers(1, max(1, len(data) - i)))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        else:  # big numbers in headers are where decoders go wrong
            data[i: i + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x00"]))
    return bytes(data)


def one_line(exc: BaseException) -> None:
    text = str(exc)
    assert text and "\n" not in text and len(text) < 800, repr(text[:300])
