"""Theory, generalisation (sheet §17.3–17.4): the PAC-Bayes bound and the generalisation gap."""

from __future__ import annotations

import math

from dlcalc.catalogue._common import natural_log, rounded, the_one_given
from dlcalc.core.registry import FLOAT, INT, VECTOR, Param, Rule, erratum, formula
from dlcalc.core.result import Result


# ---- PAC-Bayes ----------------------------------------------------------------------------------


def pac_bayes_complexity(kl, n, delta):
    """sqrt((KL(Q‖P) + ln(2√n/δ)) / (2n)): Maurer's (2004) form of McAllester's bound."""
    return ((kl + natural_log(2 * n**0.5 / delta)) / (2 * n)) ** 0.5


def pac_bayes(emp_risk, kl, n, delta):
    return emp_risk + pac_bayes_complexity(kl, n, delta)


def sheet_pac_bayes(emp_risk, kl, n, delta):
    """The sheet's R̂ + 2s·KL + ln(2s/δ) (E76): grows with the sample size."""
    return emp_risk + 2 * n * kl + natural_log(2 * n / delta)


_E76 = erratum(
    "E76",
    title="PAC-Bayes bound",
    sheet="E_Q[R(f)] ≤ R_emp(Q) + 2s·KL(Q‖P) + ln(2s/δ)",
    correct="with probability ≥ 1 − δ over an i.i.d. sample of size s, for all Q: E_Q[R] ≤ E_Q[R̂] + "
    "sqrt((KL(Q‖P) + ln(2√s/δ))/(2s)) (Maurer 2004 form of McAllester). The sheet lost the square root "
    "and the division by 2s: its term grows with s",
    command="dlcalc pac-bayes --emp-risk 0.05 --kl 3.912 --n 200 --delta 0.05",
)

formula(
    name="pac-bayes",
    vectorised=True,
    section="17.4",
    catalogue_id="TH-PACBAYES",
    summary="PAC-Bayes bound on the expected risk of a posterior Q (Maurer/McAllester)",
    params=(
        Param("emp-risk", FLOAT, "empirical risk E_Q[R̂] (loss in [0, 1])", minimum=0),
        Param("kl", FLOAT, "KL(Q‖P) in nats", minimum=0),
        Param("n", INT, "sample size s", aliases=("s",), minimum=1),
        Param("delta", FLOAT, "confidence parameter δ ∈ (0, 1)", default=0.05),
    ),
    formula="E_Q[R] ≤ E_Q[R̂] + sqrt((KL(Q‖P) + ln(2√s/δ)) / (2s))  w.p. ≥ 1 − δ",
    latex=r"\mathbb E_Q[R] \le \mathbb E_Q[\hat R] + \sqrt{\frac{\mathrm{KL}(Q\|P) + \ln(2\sqrt s/\delta)}{2s}}",
    compute=pac_bayes,
    present=rounded,
    show=lambda emp_risk, kl, n, delta: f"{emp_risk:g} + sqrt(({kl:g} + ln(2√{n}/{delta:g}))/(2·{n})) = "
    f"{rounded(pac_bayes(emp_risk, kl, n, delta))}   (the sheet's form: "
    f"{rounded(sheet_pac_bayes(emp_risk, kl, n, delta))})",
    rules=(
        Rule(broken=lambda delta, **_: (delta <= 0) | (delta >= 1),
             says=lambda delta, **_: f"--delta must lie in (0, 1), got {delta}"),
        Rule(broken=lambda emp_risk, **_: emp_risk > 1,
             says=lambda emp_risk, **_: f"--emp-risk must be at most 1 (a loss in [0, 1]), got {emp_risk}"),
    ),
    errata=(_E76,),
    sheet_says="R_emp(Q) + 2s·KL(Q‖P) + ln(2s/δ)",
    examples=(
        ("--emp-risk 0.05 --kl 3.912 --n 200 --delta 0.05", "0.210078403739"),
        ("--emp-risk 0 --kl 0 --n 100 --delta 0.05", "0.17308183826", "even KL = 0 costs sqrt(ln(2√s/δ)/2s)"),
    ),
    notes="Variants use ln(s/δ) or 2(s − 1); all are O(sqrt(KL/s)). The bound is vacuous above 1.",
)


# ---- generalisation gap -----------------------------------------------------------------------------


def generalization_gap(train_losses, test_losses, risk):
    the_one_given(test_losses=test_losses, risk=risk)
    empirical = math.fsum(train_losses) / len(train_losses)  # R_emp[f]: exact on the training sample
    steps = [f"R_emp[f] = (1/{len(train_losses)}) Σ_(i∈S) ℓ(f(x_i), y_i) = {rounded(empirical)}"]
    extra = {"empirical_risk": rounded(empirical)}
    if test_losses != ():
        n = len(test_losses)
        expected = math.fsum(test_losses) / n  # R[f] estimated on fresh samples
        spread = math.fsum((v - expected) ** 2 for v in test_losses) / (n - 1) if n > 1 else float("nan")
        error = math.sqrt(spread / n)
        steps.append(f"R[f] ≈ mean of {n} held-out losses = {rounded(expected)} ± {rounded(error) if n > 1 else '?'} "
                     "(standard error)")
        extra["standard_error"] = rounded(error) if n > 1 else None
    else:
        expected = risk
        steps.append(f"R[f] = {rounded(expected)} (given)")
    gap = expected - empirical
    steps.append(f"Gen(f) = R[f] − R_emp[f] = {rounded(gap)}")
    return Result(value=rounded(gap), steps=steps,
                  extra={**extra, "risk": rounded(expected)})


formula(
    name="generalization-gap",
    section="17.3",
    catalogue_id="TH-GEN",
    summary="Generalisation gap Gen(f) = R[f] − R_emp[f] from training losses and held-out losses (or R)",
    params=(
        Param("train-losses", VECTOR, "per-example losses of f on its training sample S"),
        Param("test-losses", VECTOR, "per-example losses on fresh samples: their mean estimates R[f]", default=()),
        Param("risk", FLOAT, "the true risk R[f], when it is known exactly", default=()),
    ),
    formula="Gen(f) = R[f] − R_emp[f],  R[f] = E_(x,y)[ℓ(f(x), y)],  R_emp[f] = (1/n) Σ_(i∈S) ℓ(f(x_i), y_i)",
    latex=r"\mathrm{Gen}(f) = R[f] - R_{\mathrm{emp}}[f]",
    compute=generalization_gap,
    examples=(
        ("--train-losses 0.1,0.3 --test-losses 0.5,0.7,0.6", "0.4", "0.6 − 0.2"),
        ("--train-losses 0,0,1 --risk 0.5", "0.166666666667", "1/2 − 1/3"),
    ),
    notes="With --test-losses the answer is an estimate; --json gives the standard error of the R[f] estimate.",
)
