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
from dlcalc.symbolic.proof import prove_equal

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


def test_cross_entropy_split_identity_and_a_wrong_version():
    cross, split = info.cross_entropy_split()
    assert prove_equal(cross, split).proven
    # Dropping the KL term must not verify.
    import sympy

    p = sympy.symbols("p1:4", positive=True)
    assert not prove_equal(cross, -sum(a * sympy.log(a) for a in p)).proven


@given(paired())
@settings(max_examples=60, deadline=None)
def test_cross_entropy_is_smallest_at_q_equal_p(pq):
    p, q = pq
    assert info.cross_entropy_nats(p, q) >= info.cross_entropy_nats(p, p) - 1e-12


def test_cross_entropy_minimiser_identity_and_a_wrong_point():
    from dlcalc.symbolic.proof import prove_matrices_equal

    assert prove_matrices_equal(*info.cross_entropy_minimiser_statement()).proven
    assert not prove_matrices_equal(*info.cross_entropy_minimiser_statement(at_p=False)).proven
