"""The batch-mode integer printer against Python's own str()."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlcalc.render.format import format_integers


@given(st.lists(st.tuples(st.integers(-(10**18) + 1, 10**18 - 1), st.booleans()), max_size=50))
def test_format_integers_equals_str(rows):
    values = np.array([v for v, _ in rows], dtype=np.int64)
    blank = np.array([b for _, b in rows], dtype=bool)
    expected = "".join(("" if b else str(v)) + "\n" for v, b in rows)
    assert format_integers(values, blank).decode() == expected


def test_too_long_numbers_take_another_route():
    assert format_integers(np.array([10**18 + 5], dtype=np.int64)) is None
