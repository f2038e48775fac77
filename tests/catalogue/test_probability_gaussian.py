"""Gaussians: the multivariate normal density and Gaussian conditioning against direct formulas
and regression on samples."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import run_json, run_main


def test_mvn_pdf_against_a_direct_formula():
    mu, cov, x = np.array([1.0, -1.0, 0.5]), np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.7]]), np.array([0.0, 0.2, 1.0])
    diff = x - mu
    direct = math.exp(-0.5 * diff @ np.linalg.inv(cov) @ diff) / math.sqrt((2 * math.pi) ** 3 * np.linalg.det(cov))
    args = ["--x", "0,0.2,1", "--mu", "1,-1,0.5", "--cov", json.dumps(cov.tolist())]
    assert run_json(["mvn-pdf", *args])["result"] == pytest.approx(direct, rel=1e-12)
    assert run_json(["mvn-pdf", *args, "--log"])["result"] == pytest.approx(math.log(direct), rel=1e-12)


def test_gauss_cond_against_regression_on_samples():
    """Conditional mean = the best linear predictor; conditional cov = the residual covariance."""
    cov = np.array([[2.0, 0.8, 0.3], [0.8, 1.5, -0.4], [0.3, -0.4, 1.0]])
    mu = np.array([1.0, 0.0, -1.0])
    rng = np.random.default_rng(6)
    s = rng.multivariate_normal(mu, cov, size=400_000)
    observed, rest = s[:, [0, 2]], s[:, [1]]
    design = np.column_stack([np.ones(len(s)), observed])
    coef, *_ = np.linalg.lstsq(design, rest, rcond=None)
    z = np.array([2.0, 0.5])
    predicted = coef[0] + z @ coef[1:]
    residual_var = np.var(rest - design @ coef)
    record = run_json(["gauss-cond", "--mu", "1,0,-1", "--cov", json.dumps(cov.tolist()), "--given", "0,2", "--z", "2,0.5"])
    assert record["result"]["mean"][0] == pytest.approx(predicted[0], abs=0.02)
    assert record["result"]["cov"][0][0] == pytest.approx(residual_var, rel=0.02)
    assert record["precision_check"] < 1e-12


def test_gauss_cond_rejects_a_non_covariance_and_bad_indices():
    assert "not positive semidefinite" in run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,2],[2,1]]", "--given", "0", "--z", "1"]).err
    assert run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,0],[0,1]]", "--given", "5", "--z", "1"]).code == 2


def test_gauss_cond_needs_a_symmetric_psd_joint_covariance():
    """PROB-GAUSS-JOINT (E07): Σ21 = Σ12ᵀ and the whole Σ ⪰ 0, even if each diagonal block is PSD."""
    asymmetric = run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,0.5],[0.2,1]]", "--given", "0", "--z", "1"])
    assert asymmetric.code != 0 and "symmetric" in asymmetric.err
    not_psd = run_main(["gauss-cond", "--mu", "0,0", "--cov", "[[1,2],[2,1]]", "--given", "0", "--z", "1"])
    assert not_psd.code != 0 and "positive semidefinite" in not_psd.err
