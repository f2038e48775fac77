"""Probability rules: Bayes, the sum and product rules and (conditional) independence against exact
fractions and constructed tables; issue 12's bad inputs of every probability command."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_json, run_main
from dlcalc.catalogue import probability_rules as rules


def test_bayes_against_exact_fractions():
    prior, lik = [Fraction(1, 100), Fraction(99, 100)], [Fraction(9, 10), Fraction(1, 20)]
    evidence = sum(a * b for a, b in zip(prior, lik))
    exact = [a * b / evidence for a, b in zip(prior, lik)]
    assert exact[0] == Fraction(2, 13)
    result = run_json(["bayes", "--prior", "0.01,0.99", "--lik", "0.9,0.05"])["result"]
    assert result == pytest.approx([float(x) for x in exact], rel=1e-15)


def test_marginal_and_joint_are_inverse_operations():
    joint = np.array([[0.1, 0.2, 0.05], [0.3, 0.25, 0.1]])
    px = run_json(["marginal", "--joint", json.dumps(joint.tolist())])["result"]
    cond = joint / joint.sum(axis=1, keepdims=True)
    rebuilt = run_json(["joint", "--cond", json.dumps(cond.tolist()), "--marg", ",".join(map(str, px))])["result"]
    assert np.allclose(rebuilt, joint, atol=1e-12)
    assert run_json(["marginal", "--joint", json.dumps(joint.tolist()), "--of", "y"])["result"] == pytest.approx(joint.sum(axis=0).tolist())


def test_independence_claim_and_the_uncorrelated_counterexample():
    px, py = np.array([0.2, 0.8]), np.array([0.3, 0.3, 0.4])
    independent = run_main(["check-indep", "--joint", json.dumps(np.outer(px, py).tolist())])
    assert (independent.code, independent.out.strip()) == (0, "independent")
    # X uniform-ish on {-1, 0, 1}, Y = X^2: E[XY] = E[X^3] = 0 = E[X]E[Y], yet dependent.
    record = run_json(["check-indep", "--joint", "[[0,0.25],[0.5,0],[0,0.25]]", "--x-values", "-1,0,1", "--y-values", "0,1"])
    assert record["result"] is False and record["cov"] == 0.0
    assert run_main(["check-indep", "--joint", "[[0,0.25],[0.5,0],[0,0.25]]"]).code == 1


def test_conditional_independence_on_constructed_tables():
    rng = np.random.default_rng(9)
    pz = rng.dirichlet(np.ones(3))
    px_z, py_z = rng.dirichlet(np.ones(2), size=3), rng.dirichlet(np.ones(4), size=3)
    table = np.einsum("z,zx,zy->xyz", pz, px_z, py_z)  # X ⊥ Y ∣ Z by construction
    assert run_main(["check-condindep", "--joint3", json.dumps(table.tolist())]).code == 0
    delta = 0.5 * table[:, :, 1].min()  # move mass within z = 1, keeping every entry ≥ 0
    table[0, 0, 1] += delta
    table[1, 0, 1] -= delta
    table[0, 1, 1] -= delta
    table[1, 1, 1] += delta
    assert run_main(["check-condindep", "--joint3", json.dumps(table.tolist())]).code == 1


def test_bayes_rule_fails_without_the_evidence():
    from dlcalc.core.proof import prove_matrices_equal

    assert not prove_matrices_equal(*rules.bayes_statement(normalised=False)).proven


@given(st.lists(st.floats(0.05, 1), min_size=2, max_size=4), st.lists(st.floats(0.05, 1), min_size=2, max_size=4),
       st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_independent_tables_have_zero_covariance(wx, wy, seed):
    """PROB-INDEP-COV, forward direction: any product table has Cov = 0, for any values of X and Y."""
    px, py = np.array(wx) / sum(wx), np.array(wy) / sum(wy)
    rng = np.random.default_rng(seed)
    xs, ys = rng.normal(size=len(px)), rng.normal(size=len(py))
    record = run_json(["check-indep", "--joint", json.dumps(np.outer(px, py).tolist()),
                    "--x-values", ",".join(map(str, xs.tolist())), "--y-values", ",".join(map(str, ys.tolist()))])
    assert record["result"] is True and abs(record["cov"]) < 1e-12


# ---- issue 12: overflow, underflow, bounds and wrong answers -------------------------------------


def one_line_error(args):
    run = run_main(args)
    assert run.code == 2 and run.err.startswith("dlcalc: error: ") and run.err.count("\n") == 1, (args, run)
    return run.err


@pytest.mark.parametrize("args, message", [
    (["marginal", "--joint", "[[1e308,1e308]]"], "at most 1"),  # the sum overflowed (OverflowError, exit 70)
    (["check-indep", "--joint", "[[1e308,1e308]]"], "at most 1"),
    (["joint", "--cond", "[[1e308,1e308]]", "--marg", "1"], "at most 1"),
    (["bayes", "--prior", "1e308,1e308", "--lik", "0.5,0.5"], "at most 1"),
    (["moments", "--values", "1,2", "--probs", "1e308,1e308"], "at most 1"),
    (["var-affine", "--A", "[[[1]]]", "--cov", "[[1]]"], "nested 3 deep"),
    (["var-lin", "--a", "1", "--cov", "[[1,[2]]]"], "nested 3 deep"),
    (["sample-cov", "--samples", "[[],[]]"], "at least one column"),
    (["chebyshev", "--std", "-2", "--eps", "1"], "non-negative"),  # printed 1.0
    (["mgf", "--dist", "normal", "--mean", "1", "--std", "2", "--moment", "101"], "at most 100"),
    (["mgf", "--dist", "normal", "--mean", "1", "--std", "1e200", "--moment", "100"], "too large"),
    (["mgf", "--dist", "binomial", "--n", "1000001", "--p", "0.5", "--moment", "1"], "at most 1,000,000"),
    (["sum-pdf", "--X", "normal std=1", "--Y", "normal std=1", "--z", ",".join(["0"] * 1001)], "at most 1,000"),
    (["scale-pdf", "--X", "normal std=5e-324", "--a", "1", "--y", "0"], "overflows"),
    (["mgf-lin", "--X", "normal std=1e200", "--a", "1", "--t", "1"], "overflows"),
    (["mgf-lin", "--X", "normal std=1", "--a", "1", "--b", "800", "--t", "1"], "overflows"),
    (["sum-pdf", "--X", "normal mean=1e308 std=1e307", "--Y", "normal std=1", "--z", "0"], "too extreme"),
    (["check-condindep", "--joint3", '{"a": 1}'], "3-D table of numbers"),  # TypeError, exit 70
    (["check-condindep", "--joint3", "[" * 5000 + "]" * 5000], "3-D table of numbers"),  # RecursionError
])
def test_issue12_inputs_are_one_line_errors(args, message):
    assert message in one_line_error(args)


def test_a_nan_table_from_a_npy_file_is_refused(tmp_path):
    # NaN compares false with everything: the sum-to-1 check let it through (a silent wrong verdict)
    path = tmp_path / "nan.npy"
    np.save(path, np.full((2, 2, 2), np.nan))
    assert "finite" in one_line_error(["check-condindep", "--joint3", f"@{path}"])
