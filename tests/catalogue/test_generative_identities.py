"""The generative models' identities (§19): each is proven once here (SymPy and a numeric spot check),
and the sheet's version, where the sheet errs, and a common slip are both refuted, so that a proof
accepting anything would fail."""

from __future__ import annotations

import pytest
import sympy

from dlcalc.core import registry
from dlcalc.core.proof import prove_statement


def _symbol(name, **assumptions):
    return sympy.Symbol(name, **assumptions)


def log_sigma_for_log_variance(lhs, rhs):
    """½(σ² + μ² − 1 − ln σ) instead of ln σ²: the usual slip."""
    sigma = _symbol("sigma", positive=True)
    return lhs, rhs + sympy.log(sigma**2) / 2 - sympy.log(sigma) / 2


def gap_to_the_prior(lhs, rhs):
    """The gap claimed to be KL(q ‖ p(z)) = ½(s² + m² − 1 − ln s²) instead of KL(q ‖ p(z∣x))."""
    s, m = _symbol("s", positive=True), _symbol("m", real=True)
    return lhs, (s**2 + m**2 - 1 - sympy.log(s**2)) / 2


def minus_log_2(lhs, rhs):
    return lhs, rhs * sympy.log(2) / sympy.log(4)


def jsd_without_the_log_2(lhs, rhs):
    p, q = _symbol("p", positive=True), _symbol("q", positive=True)
    return lhs, rhs + (p + q) * sympy.log(2)


def alpha_without_its_root(lhs, rhs):
    alpha = _symbol("alpha", positive=True)
    return lhs, rhs * sympy.sqrt(alpha) / alpha


def scaled_not_rotated(lhs, rhs):
    """Q replaced by 2Q (not orthogonal): (W·2Q)(W·2Q)ᵀ = 4WWᵀ."""
    return 4 * lhs, rhs


SLIPS = {
    "vae-kl-closed-form": log_sigma_for_log_variance,
    "elbo-gap": gap_to_the_prior,
    "gan-optimal-discriminator": None,  # the sheet's version is the slip
    "gan-value-at-optimum": minus_log_2,
    "gan-value-jsd": jsd_without_the_log_2,
    "ddpm-closed-form": None,  # the sheet's version (a product one α short) is the slip
    "ddpm-eps-mean": alpha_without_its_root,
    "fa-rotation": scaled_not_rotated,
}


def test_every_generative_identity_is_here():
    declared = {f.name for f in registry.formulas() if f.kind == "identity" and f.catalogue_id.startswith("GEN-")}
    assert declared == set(SLIPS)


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_the_wrong_versions_are_refuted(name):
    """Each identity is proven once, by tests/cli/test_verify.py; here its wrong versions must fail."""
    entry = registry.get(name)
    statement = entry.build()
    if entry.sheet_version is not None:
        assert not prove_statement(entry.sheet_version).proven
    if SLIPS[name] is not None:
        wrong = SLIPS[name](*statement)
        assert not prove_statement(lambda: wrong).proven
