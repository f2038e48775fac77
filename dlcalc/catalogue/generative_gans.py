"""Generative models, GANs (sheet §19.4): the optimal discriminator, the value at the optimum and its
Jensen–Shannon form, the value of a given discriminator and the generator's losses.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import rounded, vector_result
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import VECTOR, Param, choice, erratum, formula, identity
from dlcalc.core.result import Result


# ---- GANs --------------------------------------------------------------------------------------------


def gan_dstar(pdata, pg):
    import numpy as np

    p, q = np.array(pdata, dtype=float), np.array(pg, dtype=float)
    if p.shape != q.shape or np.any(p < 0) or np.any(q < 0) or np.any(p + q == 0):
        raise DlcalcError("--pdata and --pg need the same number of non-negative values, not both 0 anywhere")
    d_star = p / (p + q)
    extra = {}
    steps = ["D*(x) = p_data(x) / (p_data(x) + p_g(x))"]
    if abs(p.sum() - 1) < 1e-9 and abs(q.sum() - 1) < 1e-9:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(np.nansum(p * np.log(d_star)) + np.nansum(q * np.log(1 - d_star)))
            m = (p + q) / 2
            jsd = float(0.5 * np.nansum(p * np.log(p / m)) + 0.5 * np.nansum(q * np.log(q / m)))
        extra = {"value_at_optimum": rounded(value), "jsd": rounded(jsd)}
        steps.append(f"C(G) = V(D*, G) = {rounded(value)} = −log 4 + 2·JSD = {rounded(-math.log(4) + 2 * jsd)}")
    return vector_result(d_star, steps=steps, extra=extra)


_E83 = erratum(
    "E83",
    title="GAN optimal discriminator",
    sheet="D*(x) = (exp(𝓛_data(x)/p_data(x)) + p_p(x)) / (p_data(x) + p_p(x))",
    correct="D*(x) = p_data(x)/(p_data(x) + p_g(x)), from argmax_y a ln y + b ln(1 − y) = a/(a + b). The "
    "value −log 4 at p_g = p_data is right: C(G) = −log 4 + 2·JSD(p_data‖p_g)",
    command="dlcalc gan-dstar --pdata 0.3,0.7 --pg 0.2,0.8",
)

formula(
    name="gan-dstar",
    section="19.4",
    catalogue_id="GEN-GAN-DSTAR",
    summary="Optimal GAN discriminator D* = p_data/(p_data + p_g), and C(G) = −log 4 + 2·JSD",
    params=(Param("pdata", VECTOR, "p_data at the points (or a distribution)"),
            Param("pg", VECTOR, "p_g at the same points")),
    formula="D*(x) = p_data(x) / (p_data(x) + p_g(x))",
    latex=r"D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}",
    compute=gan_dstar,
    errata=(_E83,),
    sheet_says="(exp(𝓛_data/p_data) + p_p)/(p_data + p_p)",
    examples=(
        ("--pdata 0.3 --pg 0.2", "0.6"),
        ("--pdata 0.5,0.5 --pg 0.5,0.5", "0.5,0.5", "p_g = p_data: D* = ½, C = −log 4"),
    ),
    notes="When both vectors sum to 1, --json adds C(G) = V(D*, G) and the JSD (nats).",
)


def _discriminator_objective():
    """a ln y + b ln(1 − y), the GAN value at one point, and its symbols (a = p_data, b = p_g, y = D)."""
    import sympy

    a, b, y = sympy.symbols("a b y", positive=True)
    return a * sympy.log(y) + b * sympy.log(1 - y), a, b, y


def gan_dstar_statement():
    """(derivative of a ln y + b ln(1 − y) at y = a/(a + b), 0): the first-order condition."""
    import sympy

    objective, a, b, y = _discriminator_objective()
    return sympy.diff(objective, y).subs(y, a / (a + b)), sympy.Integer(0)


def gan_dstar_sheet_version():
    """The sheet's D* = (exp(l/a) + b)/(a + b) with l = 𝓛_data (E83): not a stationary point."""
    import sympy

    objective, a, b, y = _discriminator_objective()
    l = sympy.Symbol("l", positive=True)
    return sympy.diff(objective, y).subs(y, (sympy.exp(l / a) + b) / (a + b)), sympy.Integer(0)


def prove_gan_dstar():
    """The first-order condition, and concavity there (so the stationary point is the maximum)."""
    import sympy

    from dlcalc.core.proof import Proof, prove_statement

    proof = prove_statement(gan_dstar_statement, "first-order condition")
    if not proof.proven:
        return proof
    objective, a, b, y = _discriminator_objective()
    concave = sympy.simplify(sympy.diff(objective, y, 2).subs(y, a / (a + b))).is_negative
    return proof if concave else Proof(False, proof.method, "the stationary point is not a maximum")


identity(
    name="gan-optimal-discriminator",
    section="19.4",
    catalogue_id="GEN-GAN-DSTAR",
    summary="argmax_y a ln y + b ln(1 − y) = a/(a + b), hence D* = p_data/(p_data + p_g)",
    formula="d/dy [a ln y + b ln(1 − y)] = 0 at y = a/(a + b), and the function is concave",
    latex=r"\arg\max_y\, a\ln y + b\ln(1-y) = \frac{a}{a+b}",
    build=gan_dstar_statement,
    prove=prove_gan_dstar,
    sheet_version=gan_dstar_sheet_version,
    errata=(_E83,),
    sheet_says="D* = (exp(𝓛_data/p_data) + p_p)/(p_data + p_p)",
)


def gan_value_statement():
    """(integrand of V(D*, G) at p_g = p_data, −log 4 · p): pointwise, so ∫ gives −log 4."""
    import sympy

    p = sympy.Symbol("p", positive=True)
    d_star = p / (p + p)
    integrand = p * sympy.log(d_star) + p * sympy.log(1 - d_star)
    return integrand, -sympy.log(4) * p


def gan_jsd_statement():
    """Pointwise: p ln(p/(p+q)) + q ln(q/(p+q)) = −(p+q) ln 2 + p ln(p/m) + q ln(q/m), m = (p+q)/2.

    Integrated (∫p = ∫q = 1) this is C(G) = −log 4 + 2·JSD(p‖q)."""
    import sympy

    p, q = sympy.symbols("p q", positive=True)
    m = (p + q) / 2
    lhs = p * sympy.log(p / (p + q)) + q * sympy.log(q / (p + q))
    return lhs, -(p + q) * sympy.log(2) + p * sympy.log(p / m) + q * sympy.log(q / m)


identity(
    name="gan-value-at-optimum",
    section="19.4",
    catalogue_id="GEN-GAN-C",
    summary="With D = D* and p_g = p_data the GAN value is −log 4 (the sheet is right here)",
    formula="V(D*, G) = ∫ p ln ½ + p ln ½ = −log 4 when p_g = p_data",
    latex=r"V(D^*, G)\big|_{p_g = p_{\mathrm{data}}} = -\log 4",
    build=gan_value_statement,
    method="simplify (pointwise; ∫p = 1)",
)
identity(
    name="gan-value-jsd",
    section="19.4",
    catalogue_id="GEN-GAN-C",
    summary="C(G) = V(D*, G) = −log 4 + 2·JSD(p_data‖p_g), proven pointwise",
    formula="p ln(p/(p+q)) + q ln(q/(p+q)) = −(p+q) ln 2 + p ln(p/m) + q ln(q/m), m = (p+q)/2",
    latex=r"C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{\mathrm{data}}\|p_g)",
    build=gan_jsd_statement,
    method="expand_log (pointwise)",
)


def gan_value(pdata, pg, D):
    import numpy as np

    p, q, d = (np.array(v, dtype=float) for v in (pdata, pg, D))
    if not (p.shape == q.shape == d.shape) or np.any((d <= 0) | (d >= 1)):
        raise DlcalcError("--pdata, --pg and --D need one value per point, with 0 < D < 1")
    value = float(p @ np.log(d) + q @ np.log(1 - d))
    non_saturating = float(-(q @ np.log(d)))
    return Result(value=rounded(value),
                  steps=["V(D, G) = E_{p_data}[log D] + E_{p_g}[log(1 − D)]",
                         f"generator losses: saturating E_{{p_g}}[log(1 − D)] = {rounded(float(q @ np.log(1 - d)))}, "
                         f"non-saturating −E_{{p_g}}[log D] = {rounded(non_saturating)}"],
                  extra={"non_saturating_loss": rounded(non_saturating)})


formula(
    name="gan-value",
    section="19.4",
    catalogue_id="GEN-GAN-V",
    summary="GAN value V(D, G) for a given discriminator on a discrete space (and the non-saturating loss)",
    params=(
        Param("pdata", VECTOR, "p_data (a distribution)"),
        Param("pg", VECTOR, "p_g (a distribution)"),
        Param("D", VECTOR, "discriminator outputs D(x) ∈ (0, 1)"),
    ),
    formula="V(D, G) = Σ_x p_data(x) log D(x) + Σ_x p_g(x) log(1 − D(x))",
    latex=r"V(D,G) = \mathbb E_{p_{\mathrm{data}}}[\log D] + \mathbb E_{p_g}[\log(1-D)]",
    compute=gan_value,
    examples=(("--pdata 0.5,0.5 --pg 0.5,0.5 --D 0.5,0.5", "-1.38629436112", "−log 4"),),
)


def gan_generator_loss(D, form):
    import numpy as np

    d = np.array(D, dtype=float)
    if np.any((d <= 0) | (d >= 1)):
        raise DlcalcError("--D: discriminator outputs must lie strictly between 0 and 1")
    if form == "non-saturating":
        loss, logit_gradient, text = float(-np.mean(np.log(d))), -(1 - d), "−(1/N) Σ ln D(G(z_i)); ∂/∂a_i = −(1 − D_i)"
    else:
        loss, logit_gradient, text = float(np.mean(np.log(1 - d))), -d, "(1/N) Σ ln(1 − D(G(z_i))); ∂/∂a_i = −D_i"
    return Result(value=rounded(loss),
                  steps=[f"{form} generator loss {text} (a_i = the discriminator's logit, D_i = σ(a_i))",
                         "early in training D(G(z)) ≈ 0: the saturating gradient −D_i vanishes, the "
                         "non-saturating −(1 − D_i) does not"],
                  extra={"logit_gradient": rounded(logit_gradient)})


formula(
    name="gan-generator-loss",
    section="19.4",
    catalogue_id="GEN-GAN-NS",
    summary="GAN generator loss on a batch of D(G(z_i)): non-saturating −E log D, or saturating E log(1 − D)",
    params=(
        Param("D", VECTOR, "discriminator outputs D(G(z_i)) ∈ (0, 1) on generated samples"),
        Param("form", choice("non-saturating", "saturating"), "which generator loss (both are minimised)",
              default="non-saturating"),
    ),
    formula="non-saturating: −E_z[log D(G(z))];  saturating (minimax): E_z[log(1 − D(G(z)))]",
    latex=r"\mathcal L_G^{\mathrm{NS}} = -\mathbb E_z[\log D(G(z))]",
    compute=gan_generator_loss,
    examples=(
        ("--D 0.5,0.5", "0.69314718056", "ln 2"),
        ("--D 0.1 --form saturating", "-0.105360515658", "ln 0.9"),
    ),
    notes="--json adds the gradient of each sample's loss with respect to the discriminator's logit.",
)
