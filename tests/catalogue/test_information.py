"""Information theory: entropy, cross-entropy, KL, JSD against independent computations
(mpmath at 50 digits, Monte Carlo, and the textbook bounds)."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_main
from dlcalc.catalogue import information as info
from dlcalc.core.proof import prove_equal

mpmath.mp.dps = 50


def mp_entropy(p):
    return -sum(mpmath.mpf(x) * mpmath.log(mpmath.mpf(x)) for x in p if x > 0)


def mp_kl(p, q):
    return sum(mpmath.mpf(x) * mpmath.log(mpmath.mpf(x) / mpmath.mpf(y)) for x, y in zip(p, q) if x > 0)


distributions = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=8).filter(lambda v: sum(v) > 0.1).map(
    lambda v: tuple(x / math.fsum(v) for x in v))


def paired():
    return st.integers(2, 8).flatmap(lambda n: st.tuples(
        st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n), st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)
    )).map(lambda pq: tuple(tuple(x / math.fsum(v) for x in v) for v in pq))


@given(distributions)
@settings(max_examples=60, deadline=None)
def test_entropy_matches_high_precision(p):
    assert math.isclose(info.entropy_nats(p), float(mp_entropy(p)), rel_tol=1e-12, abs_tol=1e-15)
    assert -1e-15 <= info.entropy_nats(p) <= math.log(len(p)) + 1e-12


@given(paired())
@settings(max_examples=60, deadline=None)
def test_kl_cross_entropy_and_jsd_bounds(pq):
    p, q = pq
    kl = info.kl_nats(p, q)
    assert math.isclose(kl, float(mp_kl(p, q)), rel_tol=1e-9, abs_tol=1e-12)
    assert kl >= -1e-12  # Gibbs' inequality
    # H(p,q) computed directly equals H(p) + KL(p||q)
    direct = -math.fsum(x * math.log(y) for x, y in zip(p, q))
    assert math.isclose(info.cross_entropy_nats(p, q), direct, rel_tol=1e-12)
    assert math.isclose(direct, info.entropy_nats(p) + kl, rel_tol=1e-9, abs_tol=1e-12)
    jsd = info.jsd_nats(p, q)
    assert -1e-15 <= jsd <= math.log(2) + 1e-12  # E28: ln 2 whatever the alphabet size
    assert math.isclose(jsd, info.jsd_nats(q, p), rel_tol=1e-12, abs_tol=1e-15)


def test_kl_by_monte_carlo():
    p, q = (0.5, 0.3, 0.2), (0.2, 0.2, 0.6)
    rng = np.random.default_rng(1)
    draws = rng.choice(3, size=400_000, p=p)
    estimate = float(np.mean(np.log(np.array(p) / np.array(q))[draws]))
    assert abs(info.kl_nats(p, q) - estimate) < 0.01


def test_jsd_of_disjoint_supports_is_ln2_for_any_alphabet():
    for n in (2, 10, 50):
        p = (1.0,) + (0.0,) * (n - 1)
        q = (0.0, 1.0) + (0.0,) * (n - 2)
        assert info.jsd_nats(p, q) == pytest.approx(math.log(2), rel=1e-15)


def test_infinite_divergences_and_zero_conventions():
    assert info.kl_nats((0.5, 0.5), (1.0, 0.0)) == math.inf
    assert info.cross_entropy_nats((0.5, 0.5), (1.0, 0.0)) == math.inf
    assert info.kl_nats((1.0, 0.0), (0.5, 0.5)) == pytest.approx(math.log(2))  # 0 log 0 = 0


@pytest.mark.parametrize("base, divisor, unit", [("e", 1.0, "nats"), ("2", math.log(2), "bits"), ("10", math.log(10), "hartleys")])
def test_base_is_applied_and_stated(base, divisor, unit):
    run = run_main(["entropy", "--p", "0.2,0.3,0.5", "--base", base, "--json"])
    record = json.loads(run.out)
    expected = float(mp_entropy((0.2, 0.3, 0.5))) / divisor
    assert record["result"] == pytest.approx(expected, rel=1e-14)
    assert (record["base"], record["unit"]) == (base, unit)


def test_cli_plain_and_json_forms():
    plain = run_main(["kl", "--p", "0.5,0.5", "--q", "0.25,0.75", "--base", "2"]).out
    assert plain.count("\n") == 1  # one bare value in a pipe
    assert float(plain) == pytest.approx(float(mp_kl((0.5, 0.5), (0.25, 0.75)) / mpmath.log(2)), rel=1e-15)
    record = json.loads(run_main(["cross-entropy", "--p", "0.5,0.5", "--q", "1,0", "--json"]).out)
    assert record["result"] == "inf"  # JSON has no infinity


@pytest.mark.parametrize("args, message", [
    (["entropy", "--p", "0.5,0.6"], "sum to 1"),
    (["entropy", "--p", "-0.5,1.5"], "non-negative"),
    (["kl", "--p", "0.5,0.5", "--q", "1"], "same length"),
    (["jsd", "--p", "1,0", "--q", "0,1", "--base", "3"], "expected one of"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    run = run_main(args)
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


def test_cross_entropy_split_fails_without_the_kl_term():
    cross, split = info.cross_entropy_split()
    # Dropping the KL term must not verify.
    import sympy

    p = sympy.symbols("p1:4", positive=True)
    assert not prove_equal(cross, -sum(a * sympy.log(a) for a in p)).proven


@given(paired())
@settings(max_examples=60, deadline=None)
def test_cross_entropy_is_smallest_at_q_equal_p(pq):
    p, q = pq
    assert info.cross_entropy_nats(p, q) >= info.cross_entropy_nats(p, p) - 1e-12


def test_cross_entropy_is_not_stationary_at_a_wrong_point():
    from dlcalc.core.proof import prove_matrices_equal

    assert not prove_matrices_equal(*info.cross_entropy_minimiser_statement(at_p=False)).proven


# ---- KL-ZERO, KL-ASYM and differential entropy ----------------------------------------------------


@given(paired())
@settings(max_examples=60, deadline=None)
def test_kl_zero_claim_agrees_with_equality_and_pinsker(pq):
    p, q = pq
    run = run_main(["kl-zero", "--p", ",".join(map(repr, p)), "--q", ",".join(map(repr, q)), "--json"])
    record = json.loads(run.out)
    assert run.code == 0
    assert record["result"]["equal"] == (p == q)
    # Pinsker's bound, computed here independently at 50 digits, separates p ≠ q from KL = 0
    l1 = sum(abs(mpmath.mpf(x) - mpmath.mpf(y)) for x, y in zip(p, q))
    assert float(mp_kl(p, q)) >= float(l1**2 / 2) - 1e-12
    same = run_main(["kl-zero", "--p", ",".join(map(repr, p)), "--q", ",".join(map(repr, p))])
    assert (same.code, same.out) == (0, "kl=0.0 equal=true\n")


def test_kl_zero_claim_is_refuted_when_the_sides_disagree(monkeypatch):
    monkeypatch.setattr(info, "kl_nats", lambda p, q: 0.0)  # a wrong KL that is 0 for p ≠ q
    assert run_main(["kl-zero", "--p", "1,0", "--q", "0.5,0.5"]).code == 1


def test_kl_asymmetry_witness_and_a_symmetric_pair():
    run = run_main(["kl-asymmetry", "--p", "0.5,0.3,0.2", "--q", "0.2,0.2,0.6", "--json"])
    record = json.loads(run.out)
    assert run.code == 0
    assert record["result"]["forward"] == pytest.approx(float(mp_kl((0.5, 0.3, 0.2), (0.2, 0.2, 0.6))), rel=1e-14)
    assert record["result"]["reverse"] == pytest.approx(float(mp_kl((0.2, 0.2, 0.6), (0.5, 0.3, 0.2))), rel=1e-14)
    assert run_main(["kl-asymmetry", "--p", "0.3,0.7", "--q", "0.7,0.3"]).code == 1  # mirrored: equal
    assert run_main(["kl-asymmetry", "--p", "0.2,0.8", "--q", "0.2,0.8"]).code == 1


def mp_differential_entropy(density, low, high):
    """−∫ f ln f by mpmath quadrature (split at 0 where the density has a kink)."""
    def integrand(x):
        f = density(x)
        return -f * mpmath.log(f) if f > 0 else mpmath.mpf(0)
    points = [low, 0, high] if low < 0 < high else [low, high]
    return float(mpmath.quad(integrand, points))


@pytest.mark.parametrize("args, density, low, high", [
    (["--dist", "normal", "--std", "0.3"], lambda x: mpmath.npdf(x, 0, 0.3), -mpmath.inf, mpmath.inf),
    (["--dist", "normal", "--var", "4"], lambda x: mpmath.npdf(x, 0, 2), -mpmath.inf, mpmath.inf),
    (["--dist", "uniform", "--low", "-1", "--high", "0.5"], lambda x: mpmath.mpf(1) / 1.5, -1, 0.5),
    (["--dist", "exponential", "--rate", "3"], lambda x: 3 * mpmath.exp(-3 * x), 0, mpmath.inf),
    (["--dist", "exponential", "--scale", "2"], lambda x: mpmath.exp(-x / 2) / 2, 0, mpmath.inf),
    (["--dist", "laplace", "--scale", "0.2"], lambda x: mpmath.exp(-abs(x) / 0.2) / 0.4, -mpmath.inf, mpmath.inf),
])
@pytest.mark.parametrize("base, divisor", [("e", 1.0), ("2", math.log(2))])
def test_differential_entropy_against_quadrature(args, density, low, high, base, divisor):
    record = json.loads(run_main(["differential-entropy", *args, "--base", base, "--json"]).out)
    assert record["result"] == pytest.approx(mp_differential_entropy(density, low, high) / divisor, rel=1e-9, abs=1e-12)


def test_differential_entropy_of_a_normal_by_monte_carlo():
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 0.1, size=400_000)
    estimate = float(np.mean(-np.log(np.exp(-x**2 / 0.02) / math.sqrt(2 * math.pi * 0.01))))
    assert abs(info.differential_entropy_nats("normal", var=0.01) - estimate) < 0.01
    assert estimate < 0  # E30: negative


@pytest.mark.parametrize("args, message", [
    (["--dist", "laplace", "--std", "1"], "does not apply"),
    (["--dist", "normal", "--std", "1", "--var", "1"], "exactly one"),
    (["--dist", "uniform", "--low", "1", "--high", "1"], "low < high"),
    (["--dist", "exponential", "--rate", "-1"], "must be positive"),
])
def test_differential_entropy_bad_input(args, message):
    run = run_main(["differential-entropy", *args])
    assert run.code == 2 and message in run.err and run.err.count("\n") == 1


@given(st.lists(st.floats(0.01, 1), min_size=3, max_size=5), st.lists(st.floats(0.01, 1), min_size=3, max_size=5),
       st.integers(0, 2))
@settings(max_examples=40, deadline=None)
def test_kl_is_finite_iff_p_is_absolutely_continuous_wrt_q(wp, wq, zero):
    """INFO-KL-AC: a zero of q under mass of p gives +∞; a common zero contributes 0·log 0 = 0."""
    n = min(len(wp), len(wq))
    p, q = [w / sum(wp[:n]) for w in wp[:n]], [w / sum(wq[:n]) for w in wq[:n]]
    q_zero = [0.0 if i == zero else x for i, x in enumerate(q)]
    q_zero = [x / sum(q_zero) for x in q_zero]
    assert float(info.kl(tuple(p), tuple(q_zero), "e").value) == math.inf  # p(zero) > 0 = q(zero); JSON shows "inf"
    p_zero = [0.0 if i == zero else x for i, x in enumerate(p)]
    p_zero = [x / sum(p_zero) for x in p_zero]
    expected = mpmath.fsum(a * mpmath.log(a / b) for a, b in zip(p_zero, q_zero) if a > 0)
    assert float(info.kl(tuple(p_zero), tuple(q_zero), "e").value) == pytest.approx(float(expected), abs=1e-12)


# ---- issue 12: extreme parameters are computed stably -------------------------------------------


@pytest.mark.parametrize("args, expected", [
    # σ = 5e-324: σ² underflowed to 0 and ln 0 raised (exit 70); h = ½ ln(2πe) + ln σ
    (["--dist", "normal", "--std", "5e-324"], mpmath.log(2 * mpmath.pi * mpmath.e) / 2 + mpmath.log(mpmath.mpf(5e-324))),
    (["--dist", "normal", "--var", "1e-320"], mpmath.log(2 * mpmath.pi * mpmath.e * mpmath.mpf(1e-320)) / 2),
    (["--dist", "exponential", "--scale", "5e-324"], 1 + mpmath.log(mpmath.mpf(5e-324))),
    (["--dist", "uniform", "--low", "-1e308", "--high", "1e308"], mpmath.log(mpmath.mpf("2e308"))),  # b − a overflowed
    (["--dist", "laplace", "--scale", "1e308"], 1 + mpmath.log(mpmath.mpf("2e308"))),
])
def test_differential_entropy_at_extreme_parameters(args, expected):
    run = run_main(["differential-entropy", *args])
    assert run.code == 0, run.err
    assert float(run.out) == pytest.approx(float(expected), rel=1e-14)


def test_probabilities_above_one_are_refused_before_summing():
    run = run_main(["entropy", "--p", "1e308,1e308"])
    assert run.code == 2 and "at most 1" in run.err and run.err.count("\n") == 1
