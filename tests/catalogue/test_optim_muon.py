"""Muon against the exact polar factor (by SVD and by an eigen-decomposition written here)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, run_main
from dlcalc.catalogue import optim_muon


def test_muon_svd_is_the_polar_factor():
    m = np.random.default_rng(2).normal(size=(6, 4))
    p = np.array(as_json(["muon-orth", "--matrix", json.dumps(m.tolist())])["result"])
    # Independent: M (MᵀM)^{-1/2} via the eigendecomposition of MᵀM.
    w, q = np.linalg.eigh(m.T @ m)
    assert np.allclose(p, m @ q @ np.diag(w**-0.5) @ q.T, atol=1e-9)
    assert np.allclose(np.linalg.svd(p, compute_uv=False), 1.0, atol=1e-9)


def test_newton_schulz_only_approximately_orthogonalises():
    m = np.random.default_rng(3).normal(size=(6, 4))
    singular = np.array(as_json(["muon-orth", "--matrix", json.dumps(m.tolist()), "--method", "newton-schulz"])["singular_values"])
    assert ((singular > 0.6) & (singular < 1.25)).all()
    assert not np.allclose(singular, 1.0, atol=1e-3)  # E41: not exactly orthogonal
    # The cubic iteration X ← 1.5X − 0.5XXᵀX does converge to the polar factor.
    x = optim_muon.newton_schulz(m, 60, coefficients=(1.5, -0.5, 0.0))
    assert np.allclose(x, optim_muon.polar_factor(m), atol=1e-8)


def _polar_by_eigh(m):
    """M (MᵀM)^{−1/2} from an eigendecomposition (independent of the SVD the command uses)."""
    values, vectors = np.linalg.eigh(m.T @ m)
    return m @ vectors @ np.diag(values**-0.5) @ vectors.T


@pytest.mark.parametrize("shape, scale", [((4, 3), "paper"), ((3, 5), "paper"), ((6, 2), "reference"), ((2, 6), "reference")])
def test_muon_step_against_an_independent_polar_factor(shape, scale):
    rng = np.random.default_rng(sum(shape))
    w, g, prev = (rng.normal(size=shape) for _ in range(3))
    record = as_json(["muon-step", "--W", json.dumps(w.tolist()), "--grad", json.dumps(g.tolist()),
                     "--momentum", json.dumps(prev.tolist()), "--mu", "0.9", "--eta", "0.05", "--scale", scale])
    m = 0.9 * prev + g
    polar = _polar_by_eigh(m) if shape[0] >= shape[1] else _polar_by_eigh(m.T).T
    d_out, d_in = shape
    s = math.sqrt(d_out / d_in) if scale == "paper" else math.sqrt(max(1, d_out / d_in))
    assert np.allclose(record["result"], w - 0.05 * s * polar, atol=1e-9)
    assert np.allclose(record["momentum"], m, atol=1e-11)


def test_muon_step_newton_schulz_is_close_to_the_exact_step():
    rng = np.random.default_rng(7)
    w, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    args = ["muon-step", "--W", json.dumps(w.tolist()), "--grad", json.dumps(g.tolist()), "--eta", "0.02"]
    exact = np.array(as_json(args)["result"])
    approx = np.array(as_json([*args, "--method", "newton-schulz"])["result"])
    step = np.linalg.norm(exact - w)
    assert np.linalg.norm(approx - exact) < 0.5 * step  # NS only pushes σ near 1, so close but not equal
    assert run_main(["muon-step", "--W", "[[1,2]]", "--grad", "[[1],[2]]"]).code == 2


def test_newton_schulz_steps_are_bounded():
    run = run_main(["muon-orth", "--matrix", "1", "--method", "newton-schulz", "--ns-steps", "100000000"])
    assert run.code == 2 and "--ns-steps: must be at most 1,000" in run.err
