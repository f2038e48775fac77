"""How every catalogue command shows numbers, vectors and matrices (dlcalc.catalogue._common)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcalc.catalogue._common import complex_text, matrix_text, rounded, square, square_array, vector_text
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import MATRIX, VECTOR

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


def test_twelve_significant_digits_not_decimal_places():
    assert rounded(0.1 + 0.2) == 0.3
    assert rounded(1e-14) == 1e-14  # twelve decimal places would print 0.0
    assert rounded(1.131370849898476) == 1.1313708499
    assert rounded(123456789.123456789) == 123456789.123


def test_negative_zero_ints_and_non_finite():
    assert math.copysign(1, rounded(-0.0)) == 1
    assert rounded(3) == 3 and isinstance(rounded(3), int)
    assert rounded(np.array([1, 2])) == [1, 2]
    assert math.isinf(rounded(float("inf"))) and math.isnan(rounded(float("nan")))


def test_nested_lists_and_arrays_become_lists():
    assert rounded(np.array([[0.1 + 0.2, 1.0], [2.0, 3.0]])) == [[0.3, 1.0], [2.0, 3.0]]
    assert rounded([np.array([1.0, 2.0]), (3.0,)]) == [[1.0, 2.0], [3.0]]
    assert rounded(np.float64(2.5)) == 2.5


def test_float_noise_beside_larger_entries_is_zero():
    assert rounded([[1.0, 4.3e-17], [-3.4e-16, 2.0]]) == [[1.0, 0.0], [0.0, 2.0]]
    assert rounded([1e-20, 2e-20]) == [1e-20, 2e-20]  # small but not noise: the scale is their own
    assert rounded([math.inf, 1e-17, 1.0]) == [math.inf, 0.0, 1.0]  # infinity sets no scale


@given(finite)
def test_rounding_keeps_the_value_to_twelve_digits(x):
    assert rounded(x) == pytest.approx(x, rel=5e-12, abs=0)


@given(st.lists(st.lists(finite, min_size=2, max_size=2), min_size=1, max_size=4))
def test_matrix_text_is_valid_matrix_input(rows):
    text = matrix_text(rows)
    assert json.loads(text) == rounded(rows)
    assert [list(r) for r in MATRIX.parse(text)] == rounded(rows)


@given(st.lists(finite, min_size=1, max_size=6))
def test_vector_text_is_valid_vector_input(values):
    text = vector_text(values)
    assert "[" not in text and " " not in text
    assert list(VECTOR.parse(text)) == rounded(values)


def test_printed_forms():
    assert matrix_text([[1, 2], [3, 4]]) == "[[1, 2], [3, 4]]"
    assert matrix_text(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1.0, 2.0], [3.0, 4.0]]"
    assert vector_text(np.array([0.1, 0.2, 0.1 + 0.2])) == "0.1,0.2,0.3"
    assert complex_text(0.5 + 0.25j) == "0.5+0.25i" and complex_text(0.5 - 1e-20j) == "0.5"


def test_square_checks():
    assert square(((1.0, 2.0), (3.0, 4.0)), "A") == 2
    assert square_array(((1.0, 2.0), (3.0, 4.0)), "A").shape == (2, 2)
    with pytest.raises(DlcalcError, match=r"--A: expected a square matrix, got 1×2"):
        square_array(((1.0, 2.0),), "A")
    with pytest.raises(DlcalcError, match="--A must be finite"):
        square_array(((1.0, math.inf), (0.0, 1.0)), "A")
