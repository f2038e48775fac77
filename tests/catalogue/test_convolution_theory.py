"""Convolution as an operator (sheet §12.1): shift equivariance, circular convolution, the LTI
characterisation against NumPy's FFT and hand-made circulants; every identity proven once through
verify, and an altered statement (built here from the same pieces) must fail."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.catalogue import convolution_theory as ct
from dlcalc.catalogue._common import ABSENT

FAST = settings(max_examples=40, deadline=None)
numbers = st.integers(-5, 5).map(float)
signal = st.lists(numbers, min_size=1, max_size=7).map(tuple)


def rows(array):
    return tuple(tuple(float(v) for v in row) for row in np.asarray(array))


def value(result):
    return np.array(result.value, dtype=float)


# ---- shift equivariance, circular convolution, LTI -------------------------------------------


@FAST
@given(signal, signal, st.integers(-4, 4))
def test_shift_equivariance_on_z(x, h, delta):
    result = ct.shift_check(x, h, delta, False)
    assert result.value["equivariant"] and result.exit_code == 0
    # with NumPy: conv of the zero-padded, shifted input equals the shifted conv
    pad = 5
    shifted = np.roll(np.pad(x, pad), -delta)
    assert np.allclose(np.convolve(shifted, h), np.roll(np.convolve(np.pad(x, pad), h), -delta))
    nonzero = np.any(np.convolve(x, h) != 0)
    assert result.value["invariant"] == (delta == 0 or not nonzero)


@FAST
@given(st.lists(numbers, min_size=2, max_size=6), st.integers(-3, 3), st.integers(0, 10**6))
def test_shift_equivariance_circular(x, delta, seed):
    h = np.random.default_rng(seed).normal(size=2)
    result = ct.shift_check(tuple(x), tuple(h), delta, True)
    assert result.value["equivariant"]
    circ = lambda a: np.real(np.fft.ifft(np.fft.fft(a) * np.fft.fft(h, len(a))))  # noqa: E731
    invariant = np.allclose(circ(np.roll(x, -delta)), circ(np.array(x)))
    assert result.value["invariant"] == invariant


@FAST
@given(signal, signal, st.integers(0, 6))
def test_circular_conv_is_wrapped_linear_conv(x, h, extra):
    n = max(len(x), len(h)) + extra
    wrapped = np.zeros(n)
    for i, v in enumerate(np.convolve(x, h)):  # fold the linear convolution onto N points
        wrapped[i % n] += v
    result = ct.circular_conv(x, h, n)
    assert np.allclose(value(result), wrapped)
    assert np.allclose(result.extra["via_fft"], wrapped)
    assert result.extra["equals_linear"] == (n >= len(x) + len(h) - 1)


def test_circular_conv_default_length():
    assert ct.circular_conv((1, 2, 3), (1, 1), ABSENT).value == [4.0, 3.0, 5.0]


@FAST
@given(st.lists(numbers, min_size=1, max_size=6), st.integers(0, 10**6))
def test_lti_check_recognises_circulants(h, seed):
    n = len(h)
    T = np.column_stack([np.roll(h, j) for j in range(n)])  # column j: h shifted j places
    result = ct.lti_check(rows(T))
    assert result.value["shift-equivariant"] and result.value["convolution"]
    assert np.allclose(result.value["kernel"], h)
    x = np.random.default_rng(seed).normal(size=n)
    assert np.allclose(T @ x, np.real(np.fft.ifft(np.fft.fft(h) * np.fft.fft(x))))


def test_lti_check_rejects_a_position_dependent_operator():
    T = np.diag([1.0, 2.0, 3.0])
    result = ct.lti_check(rows(T))
    assert result.value == {"shift-equivariant": False, "convolution": False} and result.exit_code == 0




# ---- identities: each proven once (what verify runs); an altered statement must fail ------------
# The alterations reuse the sides already built, so that each identity's integrals are done once, and
# are refuted by the proof's numeric spot check (a proof never stands against it).


def _beta_replaced_by_alpha(lhs, rhs):
    """T(αf + βg) against αTf + αTg."""
    alpha, beta, *_ = ct.linearity_pieces()
    return lhs, rhs.subs(beta, alpha)


def _correlation_form(lhs, rhs):
    """∫ h(s) f(u + s) ds (a correlation) against the convolution ∫ h(u − s) f(s) ds."""
    sympy, t, u, s, *_ = ct.symbols()
    f, h = ct.gaussians()
    return ct.continuous_conv(f, h, t, u, s, correlate=True), rhs


def _reflected(lhs, rhs):
    """f∗h against (h∗f)(−t), what swapping a correlation's inputs does (h is not symmetric)."""
    sympy, t, *_ = ct.symbols()
    return lhs, rhs.subs(t, -t)


def _third_width_changed(lhs, rhs):
    """(f∗g)∗k against f∗(g∗k) with k twice as narrow."""
    sympy, t, u, s, a, b, c = ct.symbols()
    return lhs, rhs.subs(c, 2 * c)


def _angular_fourier(lhs, rhs):
    """The angular-frequency transform (e^{−iut}) against the ordinary-frequency closed form."""
    sympy, t, u, *_ = ct.symbols()
    f, _ = ct.gaussians()
    return ct.fourier(f, t, u, angular=True), rhs


def _theorem_with_a_sum(lhs, rhs):
    """𝓕(f∗h) against 𝓕f + 𝓕h."""
    sympy, t, u, *_ = ct.symbols()
    f, h = ct.gaussians()
    return lhs, ct.fourier(f, t, u) + ct.fourier(h, t, u)


@pytest.mark.parametrize("name, altered", [
    ("integral-transform-linear", _beta_replaced_by_alpha),
    ("conv-integral-forms", _correlation_form),
    ("conv-commutative", _reflected),
    ("conv-associative", _third_width_changed),
    ("fourier-transform", _angular_fourier),
    ("convolution-theorem", _theorem_with_a_sum),
])
def test_an_altered_statement_fails(name, altered):
    """The identity itself is proven once, by tests/cli/test_verify.py; here each altered version must
    be refuted (prove_statement never proves what its numeric spot check refutes, and the spot check
    alone is cheap)."""
    from dlcalc.core import registry
    from dlcalc.core.proof import small_sampler, spot_check

    sides = registry.get(name).build()
    refuted, detail = spot_check(*altered(*sides), sampler=small_sampler)
    assert not refuted, detail
