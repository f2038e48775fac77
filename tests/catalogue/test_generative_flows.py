"""Normalising flows against independent computations: the density a flow defines, and the coupling's
log-determinant by a finite-difference Jacobian."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import plain
from _densities import gaussian_logpdf


def test_flow_log_density_equals_the_gaussian_it_defines():
    A, b, x = [[2.0, 0.5], [-0.3, 1.0]], [1.0, -1.0], [0.4, 2.0]
    cov = np.array(A) @ np.array(A).T  # x = Az + b, z ~ N(0, I) ⇒ x ~ N(b, AAᵀ)
    got = float(plain(["flow-logpdf", "--A", json.dumps(A), "--b", "1,-1", "--x", "0.4,2"]))
    assert got == pytest.approx(gaussian_logpdf(x, b, cov), rel=1e-10)


def test_coupling_log_determinant_by_finite_differences():
    S, T = np.array([[0.5, -0.2], [0.1, 0.3]]), np.array([[1.0, 0.0], [-0.5, 2.0]])
    x = np.array([0.3, -0.7, 1.1, 0.4])

    def forward(v):  # y₁ = x₁, y₂ = x₂ ⊙ exp(S x₁) + T x₁, written here
        return np.concatenate([v[:2], v[2:] * np.exp(S @ v[:2]) + T @ v[:2]])

    h = 1e-6
    J = np.column_stack([(forward(x + h * e) - forward(x - h * e)) / (2 * h) for e in np.eye(4)])
    record = json.loads(plain(["coupling", "--x", "0.3,-0.7,1.1,0.4", "--d", 2, "--s-weights", json.dumps(S.tolist()),
                             "--t-weights", json.dumps(T.tolist()), "--json"]))
    assert record["result"]["logdet"] == pytest.approx(math.log(abs(np.linalg.det(J))), abs=1e-7)
    assert np.allclose(record["result"]["y"], forward(x)) and np.allclose(record["inverse"], x)
