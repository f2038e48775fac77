"""Grid claims of analysis: PL, strict convexity, local vs global minima, convexity of functions and sets,
with witnesses recomputed independently."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import run_json, run_main
from dlcalc.catalogue import analysis_grids as grids
from dlcalc.core.proof import prove_equal


def test_pl_check_against_a_direct_grid_evaluation():
    """x² + 3 sin²x: PL with μ = 1/32 (catalogue ANA-SC⟹PL), not with μ = 1; not convex (f'' < 0 at π/2)."""
    xs = np.linspace(-5, 5, 201)
    gap = 0.5 * (2 * xs + 3 * np.sin(2 * xs)) ** 2 - (xs**2 + 3 * np.sin(xs) ** 2) / 32
    assert gap.min() >= 0
    assert run_main(["pl-check", "--f", "x**2 + 3*sin(x)**2", "--vars", "x", "--mu", "0.03125"]).code == 0
    assert run_main(["pl-check", "--f", "x**2 + 3*sin(x)**2", "--vars", "x", "--mu", "1"]).code == 1
    saddle = json.loads(run_main(["hessian", "--f", "x**2 + 3*sin(x)**2", "--vars", "x", "--at", str(math.pi / 2), "--json"]).out)
    assert saddle["result"] == "negative definite" and saddle["hessian"][0][0] == pytest.approx(2 - 6)


# ---- ANA-STRICT and ANA-LOCGLOB --------------------------------------------------------------------


@pytest.mark.parametrize("f, strict, minimisers, where", [
    ("exp(x)", True, 0, []),
    ("(x - 1)**2", True, 1, [1.0]),
    ("x**4", True, 1, [0.0]),  # f'' = 0 at one point only: still strictly convex
    ("log(1 + exp(x))", True, 0, []),  # softplus: strictly convex, infimum 0 never reached
    ("cosh(x - 0.3)", True, 1, [0.3]),
    ("cos(x)", False, 2, [-math.pi, math.pi]),
    ("abs(x)**3 - 3*x**2", False, 2, [-2.0, 2.0]),
    ("abs(x - 1)", False, 1, [1.0]),  # convex, not strictly; its minimiser sits on the kink, where f' jumps over 0
])
def test_strict_convexity_against_closed_forms(f, strict, minimisers, where):
    run = run_main(["strict-convexity", "--f", f, "--json"])
    out = json.loads(run.out)
    assert run.code == 0
    assert out["result"] == {"strictly_convex": strict, "minimisers": minimisers}
    assert out["at"] == pytest.approx(where, abs=1e-9)
    # brute force: the grid minimum of f is at the single minimiser, or at an edge when there is none
    xs = np.linspace(-5, 5, 100_001)
    values = {"exp(x)": np.exp(xs), "(x - 1)**2": (xs - 1) ** 2, "x**4": xs**4, "log(1 + exp(x))": np.log1p(np.exp(xs)),
              "cosh(x - 0.3)": np.cosh(xs - 0.3), "cos(x)": np.cos(xs), "abs(x)**3 - 3*x**2": np.abs(xs) ** 3 - 3 * xs**2,
              "abs(x - 1)": np.abs(xs - 1)}[f]
    if strict and minimisers == 0:
        assert values.argmin() in (0, len(xs) - 1)
    if strict and minimisers == 1:
        assert xs[values.argmin()] == pytest.approx(where[0], abs=1e-4)


def test_strict_convexity_refutes_two_minimisers_if_the_verdict_were_wrong(monkeypatch):
    """The claim is a theorem: force 'strictly convex' on cos to see the check would exit 1."""
    monkeypatch.setattr(grids, "_hessian_function", lambda expression, symbols: lambda x: np.array([[1.0]]))
    assert run_main(["strict-convexity", "--f", "cos(x)"]).code == 1


def test_local_global_on_a_double_well_and_a_convex_bowl():
    well = json.loads(run_main(["local-global", "--f", "x**4 - 2*x**2 + 0.5*x", "--vars", "x", "--x0", "1", "--json"]).out)
    roots = np.sort(np.roots([4, 0, -4, 0.5]).real)  # stationary points, independently
    assert well["result"]["x"] == f"{roots[2]:.6g}" and not well["result"]["global"]
    assert well["grid_min"] == pytest.approx(roots[0] ** 4 - 2 * roots[0] ** 2 + 0.5 * roots[0], abs=0.01)  # grid step 0.1
    left = json.loads(run_main(["local-global", "--f", "x**4 - 2*x**2 + 0.5*x", "--vars", "x", "--x0", "-0.5", "--json"]).out)
    assert left["result"]["x"] == f"{roots[0]:.6g}" and left["result"]["global"]
    rng = np.random.default_rng(0)
    for _ in range(3):
        start = rng.uniform(-3, 3, size=2)
        bowl = run_main(["local-global", "--f", "(x - 1)**2 + (x - y)**2 + exp(y)", "--vars", "x,y",
                         "--x0", ",".join(map(repr, start.tolist())), "--json"])
        out = json.loads(bowl.out)
        assert bowl.code == 0 and out["result"]["local"] and out["result"]["global"] and out["result"]["convex"]


def test_local_global_refuted_if_convexity_were_wrongly_claimed(monkeypatch):
    monkeypatch.setattr(grids, "min_curvature", lambda hessian_at, grid: 0.0)
    run = run_main(["local-global", "--f", "x**4 - 2*x**2 + 0.5*x", "--vars", "x", "--x0", "1"])
    assert run.code == 1


# ---- ANA-CVXFN, ANA-CVXSET, ANA-CONIC, ANA-MAX, ANA-LSMOOTH ----------------------------------------


@pytest.mark.parametrize("f, vars, convex", [
    ("x**2 + abs(y)", "x,y", True), ("exp(x) + y**2", "x,y", True), ("log(1 + exp(x))", "x", True),
    ("abs(x - y)", "x,y", True), ("sin(x)", "x", False), ("x**3", "x", False), ("x**2 - y**2", "x,y", False),
    ("x*y", "x,y", False)])
def test_convexity_check_on_known_functions_and_witnesses_recomputed(f, vars, convex):
    result = run_json(["convexity-check", "--f", f, "--vars", vars, "--points", "21"])
    assert result["result"] is convex
    if not convex:  # recompute the witness's gap with plain Python
        x, y, lam = result["witness"]
        names = vars.split(",")
        value = lambda p: eval(f, {"sin": math.sin, "abs": abs}, dict(zip(names, p)))  # noqa: E731
        z = [lam * a + (1 - lam) * b for a, b in zip(x, y)]
        assert lam * value(x) + (1 - lam) * value(y) - value(z) == pytest.approx(result["min_gap"])
        assert result["min_gap"] < 0


@pytest.mark.parametrize("relations, convex", [
    ("x**2 + y**2 <= 1", True), ("x**2 + y**2 <= 4; y >= x", True), ("y >= x**2", True), ("abs(x) + abs(y) <= 2", True),
    ("x**2 + y**2 >= 1", False), ("x*y >= 0", False), ("y <= x**2", False), ("abs(x) >= 1", False)])
def test_convex_set_check_on_known_sets_and_witnesses_recomputed(relations, convex):
    result = run_json(["convex-set-check", "--set", relations, "--vars", "x,y", "--points", "21"])
    assert result["result"] is convex
    if not convex:
        x, y, lam = result["witness"]
        z = [lam * a + (1 - lam) * b for a, b in zip(x, y)]

        def inside(p):
            env = {"x": p[0], "y": p[1], "abs": abs}
            return all(eval(r.strip(), env) for r in relations.split(";"))

        assert inside(x) and inside(y) and not inside(z)


def test_convexity_check_bad_input():
    assert run_main(["convex-set-check", "--set", "x < 1", "--vars", "x"]).code == 2
    assert run_main(["convex-set-check", "--set", "x**2 <= -1", "--vars", "x"]).code == 2  # empty set
    assert run_main(["convexity-check", "--f", "x", "--vars", "x,y", "--points", "100"]).code == 2  # 10⁴ points
    assert run_main(["convexity-check", "--f", "log(x)", "--vars", "x"]).code == 2  # not finite at x ≤ 0
    # sqrt(x·y) is undefined between the quadrants: such combinations count as outside the set
    assert run_json(["convex-set-check", "--set", "sqrt(x*y) <= 1", "--vars", "x,y", "--points", "9"])["result"] is False


def test_conic_combination_identity_and_negative_weights():
    assert not prove_equal(*grids.conic_statement(squared_beta=True)).proven
    assert run_main(["convexity-check", "--f", "2*x**2 + 3*exp(y)", "--vars", "x,y", "--points", "15"]).code == 0
    assert run_main(["convexity-check", "--f", "x**2 - 3*abs(x)", "--vars", "x"]).code == 1  # β = −3 < 0


def test_max_of_convex_functions_is_convex_but_min_is_not():
    assert not prove_equal(*grids.max_statement(drop_g_terms=True)).proven
    f, g = "x**2", "(x - 2)**2"  # max(f, g) = (f + g + |f − g|)/2, min(f, g) = (f + g − |f − g|)/2
    assert run_main(["convexity-check", "--f", f"({f} + {g} + abs({f} - {g}))/2", "--vars", "x"]).code == 0
    assert run_main(["convexity-check", "--f", f"({f} + {g} - abs({f} - {g}))/2", "--vars", "x"]).code == 1
