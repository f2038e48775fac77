"""Tensor contraction against explicit loops; the tensor chain rule against finite differences on
a map and loss written here; the symbolic proofs, and the sheet's circular version refuted."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from conftest import run_json, run_main


def contract_by_loops(P, Q, b):
    r, s, t = P.shape[:P.ndim - b], P.shape[P.ndim - b:], Q.shape[b:]
    T = np.zeros(r + t)
    for i in itertools.product(*map(range, r)):
        for k in itertools.product(*map(range, t)):
            T[i + k] = sum(P[i + j] * Q[j + k] for j in itertools.product(*map(range, s)))
    return T


@pytest.mark.parametrize("p_shape, q_shape, b", [((2, 3), (3, 4), 1), ((2, 3, 4), (3, 4, 2), 2),
                                                  ((3,), (3,), 1), ((2, 2, 3), (3, 2, 2), 1)])
def test_contraction_matches_loops(p_shape, q_shape, b):
    rng = np.random.default_rng(0)
    P, Q = rng.integers(-3, 4, p_shape).astype(float), rng.integers(-3, 4, q_shape).astype(float)
    got = run_json(["tensor-contract", "--P", json.dumps(P.tolist()), "--Q", json.dumps(Q.tolist()),
                    "--b", b])["result"]
    assert np.allclose(got, contract_by_loops(P, Q, b))
    assert run_main(["tensor-contract", "--P", "[[1,2]]", "--Q", "[[1,2,3]]", "--b", "1"]).code == 2


def test_chain_rule_gradient_against_finite_differences():
    rng = np.random.default_rng(5)
    A, W, B, C = (rng.standard_normal(s).round(3) for s in ((2, 3), (3, 4), (4, 5), (2, 5)))

    def L(W_):  # the loss written here: Σ C ⊙ tanh(A W B)
        return float(np.sum(C * np.tanh(A @ W_ @ B)))

    h, numeric = 1e-6, np.zeros_like(W)
    for index in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[index] = h
        numeric[index] = (L(W + E) - L(W - E)) / (2 * h)
    args = ["tensor-chain"] + [a for name, M in zip("AWBC", (A, W, B, C)) for a in (f"--{name}", json.dumps(M.tolist()))]
    got = np.array(run_json(args)["result"])
    assert np.allclose(got, numeric, atol=1e-7)


def test_random_instance_reports_agreement_and_the_sheet_shapes():
    record = json.loads(run_main(["tensor-chain", "--shapes", "3,4,2,5", "--json"]).out.strip())
    assert record["max_error"] < 1e-6
    assert record["shapes"] == {"dL/dy": [2, 5], "dy/dW": [2, 5, 3, 4], "dL/dW": [3, 4]}
    assert "cannot" in record["sheet"]
    assert run_main(["tensor-chain", "--A", "[[1]]"]).code == 2


def test_matrix_form_of_a_contraction_is_one_reshaped_matrix_product():
    """TEN-MATRIX: T = reshape(P, (Πr, Πs)) · reshape(Q, (Πs, Πt)), reshaped back to r × t."""
    rng = np.random.default_rng(2)
    P, Q = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4, 5))
    record = run_json(["tensor-contract", "--P", json.dumps(P.tolist()), "--Q", json.dumps(Q.tolist()), "--b", 2])
    T = np.array(record["result"])
    by_loops = contract_by_loops(P, Q, 2)
    assert np.allclose(T, by_loops) and record["matrix_form_agreement"] < 1e-12
    assert np.allclose((P.reshape(2, 12) @ Q.reshape(12, 5)), by_loops)
    # pairing P's contracted axes (s₁, s₂) with Q's in the other order (s₂, s₁) is another product
    assert not np.allclose(P.reshape(2, 12) @ Q.transpose(1, 0, 2).reshape(12, 5), by_loops)


def test_deeply_nested_json_is_a_one_line_error():
    run = run_main(["tensor-contract", "--P", "[" * 5000 + "]" * 5000, "--Q", "1"])  # RecursionError, exit 70
    assert run.code == 2 and run.err.count("\n") == 1
