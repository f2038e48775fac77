"""Probability (sheet §1), the rules: sum and product rules, independence and conditional
independence from joint tables, Bayes' rule (and its proof from the definition of conditional
probability).
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import ABSENT, given, matrix_result, rounded, same_length
from dlcalc.catalogue._probability import np_matrix, probabilities
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import MATRIX, VECTOR, Kind, Param, choice, claim, erratum, formula, identity
from dlcalc.core.result import Result

SECTION = "1"
_E01 = erratum(
    "E01",
    title="stripped | characters (conditioning bars, absolute values, norms)",
    sheet="P(X, Y) = P(Y X)P(X);  P(X, Y Z) = P(X Z)P(Y Z);  \\ A\\ _F = sqrt(Tr(AᵀA))",
    correct="P(X,Y) = P(Y∣X)P(X); P(X,Y∣Z) = P(X∣Z)P(Y∣Z); P(Y∣X) = P(X∣Y)P(Y)/P(X); "
    "‖f(x1)−f(x2)‖ ≤ L‖x1−x2‖; ‖A‖_F = sqrt(Tr(AᵀA))",
    command="dlcalc bayes --prior 0.01,0.99 --lik 0.9,0.05",
)



# ---- discrete rules ------------------------------------------------------------------------

_JOINT = Param("joint", MATRIX, "joint probabilities P(X=x_i, Y=y_j): rows are x, columns y")


def _joint(joint):
    table = np_matrix(joint, "joint")
    probabilities(tuple(table.ravel().tolist()), "joint")
    return table


def marginal(joint, axis):
    table = _joint(joint)
    # Summing out Y (the columns) leaves P(X); summing out X leaves P(Y).
    values = table.sum(axis=1 if axis == "x" else 0)
    return rounded(values)


formula(
    name="marginal",
    section=SECTION,
    catalogue_id="PROB-SUM",
    summary="Marginal distribution from a joint table (sum rule)",
    params=(_JOINT, Param("of", choice("x", "y"), "which marginal: x (row sums) or y (column sums)", default="x")),
    formula="P(X=x_i) = Σ_j P(X=x_i, Y=y_j)",
    latex=r"P(X=x_i) = \sum_j P(X=x_i, Y=y_j)",
    compute=lambda joint, of: marginal(joint, of),
    examples=(
        ("--joint '[[0.1,0.2],[0.3,0.4]]'", "0.3,0.7"),
        ("--joint '[[0.1,0.2],[0.3,0.4]]' --of y", "0.4,0.6"),
    ),
)


def joint_from_conditional(cond, marg):
    import numpy as np

    table = np_matrix(cond, "cond")
    px = probabilities(marg, "marg")
    if table.shape[0] != len(px):
        raise DlcalcError(f"--cond has {table.shape[0]} rows (values of X) but --marg has {len(px)} entries")
    for i, row in enumerate(table):
        probabilities(tuple(row.tolist()), f"cond row {i + 1}")
    joint = table * np.array(px)[:, None]
    return matrix_result(joint,
                  steps=["P(X=x_i, Y=y_j) = P(Y=y_j ∣ X=x_i)·P(X=x_i)"])


formula(
    name="joint",
    section=SECTION,
    catalogue_id="PROB-PRODUCT",
    summary="Joint table from a conditional table and a marginal (product rule)",
    params=(
        Param("cond", MATRIX, "P(Y=y_j ∣ X=x_i): one row per value of X, each row sums to 1"),
        Param("marg", VECTOR, "P(X=x_i)"),
    ),
    formula="P(X,Y) = P(Y∣X)·P(X)",
    latex=r"P(X,Y) = P(Y \mid X)\,P(X)",
    compute=joint_from_conditional,
    errata=(_E01,),
    examples=(("--cond '[[0.5,0.5],[0.25,0.75]]' --marg 0.4,0.6", "[[0.2, 0.2], [0.15, 0.45]]"),),
)


def check_independence(joint, x_values, y_values):
    import numpy as np

    table = _joint(joint)
    px, py = table.sum(axis=1), table.sum(axis=0)
    gaps = np.abs(table - np.outer(px, py))
    gap = float(gaps.max())
    independent = gap <= 1e-12
    i, j = np.unravel_index(gaps.argmax(), table.shape)
    steps = [f"max |P(x,y) − P(x)P(y)| = {gap:.6g}"]
    if not independent:
        steps.append(f"witness: P(x{i + 1}, y{j + 1}) = {table[i, j]:.6g} but P(x{i + 1})P(y{j + 1}) = "
                     f"{px[i] * py[j]:.6g}")
    extra = {"max_gap": gap, "witness": None if independent else [int(i), int(j)]}
    if given(x_values) and given(y_values):
        if len(x_values) != table.shape[0] or len(y_values) != table.shape[1]:
            raise DlcalcError("--x-values and --y-values must match the rows and columns of --joint")
        x, y = np.array(x_values), np.array(y_values)
        cov = float(x @ table @ y - (px @ x) * (py @ y))
        extra["cov"] = round(cov, 15) + 0.0
        steps.append(f"Cov(X,Y) = E[XY] − E[X]E[Y] = {extra['cov']!r}"
                     + ("  (uncorrelated yet dependent: zero covariance does not imply independence)"
                        if abs(cov) < 1e-12 and not independent else ""))
    return Result(value=independent,
                  plain="independent" if independent else "dependent", steps=steps, extra=extra,
                  holds=independent)


claim(
    name="check-indep",
    section=SECTION,
    catalogue_id="PROB-INDEP PROB-INDEP-COV",
    summary="Decide whether X and Y are independent from their joint table (exit 1 if dependent)",
    params=(
        _JOINT,
        Param("x-values", VECTOR, "values of X (rows), to report Cov(X,Y)", default=ABSENT),
        Param("y-values", VECTOR, "values of Y (columns), to report Cov(X,Y)", default=ABSENT),
    ),
    formula="X ⊥ Y ⟺ P(x,y) = P(x)P(y) for all x, y;  X ⊥ Y ⟹ Cov(X,Y) = 0 (not conversely)",
    latex=r"X \perp Y \iff P(x,y) = P(x)P(y)",
    compute=check_independence,
    examples=(
        ("--joint '[[0.12,0.28],[0.18,0.42]]'", "independent"),
        ("--joint '[[0,0.25],[0.5,0],[0,0.25]]' --x-values -1,0,1 --y-values 0,1", "dependent",
         "Y = X²: Cov = 0 but dependent (PROB-INDEP-COV)"),
    ),
    notes="Exit status 0 when independent, 1 when dependent (the witness cell is shown).",
)


def bayes(prior, lik):
    same_length(prior, lik, "--prior and --lik")
    probabilities(prior, "prior")
    if any(not 0 <= v <= 1 for v in lik):
        raise DlcalcError("--lik: likelihoods P(X∣Y_i) must lie in [0, 1]")
    evidence = math.fsum(a * b for a, b in zip(prior, lik))
    if evidence == 0:
        raise DlcalcError("the evidence P(X) = Σ P(X∣Y_i)P(Y_i) is 0: the observation is impossible")
    posterior = [a * b / evidence for a, b in zip(prior, lik)]
    return Result(value=posterior, extra={"evidence": evidence},
                  steps=[f"P(X) = Σ P(X∣Y_i)P(Y_i) = {evidence!r}", "P(Y_i∣X) = P(X∣Y_i)P(Y_i)/P(X)"])


formula(
    name="bayes",
    section=SECTION,
    catalogue_id="PROB-BAYES",
    summary="Posterior P(Y_i ∣ X) from a prior and likelihoods (Bayes' rule)",
    params=(
        Param("prior", VECTOR, "prior P(Y_i), summing to 1"),
        Param("lik", VECTOR, "likelihoods P(X ∣ Y_i), one per hypothesis"),
    ),
    formula="P(Y_i∣X) = P(X∣Y_i)P(Y_i) / Σ_j P(X∣Y_j)P(Y_j)",
    latex=r"P(Y_i \mid X) = \frac{P(X \mid Y_i) P(Y_i)}{\sum_j P(X \mid Y_j) P(Y_j)}",
    compute=bayes,
    errata=(_E01,),
    examples=(
        ("--prior 0.01,0.99 --lik 0.9,0.05", "0.15384615384615385,0.8461538461538461",
         "a 90%-sensitive test with 5% false positives, 1% prevalence: P(ill ∣ +) = 2/13"),
        ("--prior 0.5,0.5 --lik 0.5,0.5", "0.5,0.5"),
    ),
)


# ---- conditional independence --------------------------------------------------------------------


def _joint3(text):
    """A 3-D joint table P(X=x, Y=y, Z=z) as JSON nested lists [x][y][z], or @file.npy."""
    import json

    import numpy as np

    text = text.strip()
    try:
        array = np.load(text[1:], allow_pickle=False) if text.startswith("@") else np.array(json.loads(text), dtype=float)
    except (OSError, ValueError, TypeError, RecursionError) as err:
        reason = f" ({err})" if isinstance(err, OSError) else ""
        raise DlcalcError(f"expected a 3-D table of numbers like [[[0.1,0.1],[0.1,0.2]],[[...]]] or @file.npy{reason}") from None
    if array.ndim != 3:
        raise DlcalcError(f"expected a 3-D table (x, y, z), got {array.ndim} dimensions")
    if not np.all(np.isfinite(array)):
        raise DlcalcError("the table's entries must be finite numbers")
    return tuple(array.astype(float).ravel().tolist()), array.shape


JOINT3 = Kind("TABLE3", _joint3)


def check_conditional_independence(joint3):
    import numpy as np

    flat, shape = joint3
    probabilities(flat, "joint3")
    p = np.array(flat).reshape(shape)
    pz = p.sum(axis=(0, 1))
    worst, witness = 0.0, None
    for z in np.flatnonzero(pz > 0):
        conditional = p[:, :, z] / pz[z]
        product = np.outer(conditional.sum(axis=1), conditional.sum(axis=0))
        gap = float(np.abs(conditional - product).max())
        if gap > worst:
            worst, witness = gap, int(z)
    holds = worst <= 1e-12
    steps = [f"max over z of |P(x,y∣z) − P(x∣z)P(y∣z)| = {worst:.6g}"]
    if not holds:
        steps.append(f"witness: z = {witness}")
    return Result(value=holds,
                  plain="conditionally independent" if holds else "conditionally dependent",
                  steps=steps, extra={"max_gap": worst, "witness_z": witness}, holds=holds)


claim(
    name="check-condindep",
    section=SECTION,
    catalogue_id="PROB-CONDINDEP",
    summary="Decide X ⊥ Y ∣ Z from a 3-D joint table (exit 1 if not)",
    params=(Param("joint3", JOINT3, "P(X=x, Y=y, Z=z) as nested lists [x][y][z], or @file.npy"),),
    formula="X ⊥ Y ∣ Z ⟺ P(X,Y∣Z) = P(X∣Z)P(Y∣Z) wherever P(Z) > 0",
    latex=r"X \perp Y \mid Z \iff P(X,Y\mid Z) = P(X\mid Z)\,P(Y\mid Z)",
    compute=check_conditional_independence,
    errata=(_E01,),
    examples=(("--joint3 '[[[0.125,0.125],[0.125,0.125]],[[0.125,0.125],[0.125,0.125]]]'", "conditionally independent"),
              ("--joint3 '[[[0.25,0],[0,0.25]],[[0,0.25],[0.25,0]]]'", "conditionally dependent",
               "X, Y fair coins, Z = X xor Y: independent, but dependent given Z")),
)


def bayes_statement(normalised: bool = True):
    """Posterior P(Y_i ∣ X = x) by definition, P(x, Y_i)/P(x), from a joint table of 3 hypotheses ×
    2 outcomes, vs Bayes' P(x∣Y_i)P(Y_i)/Σ_j P(x∣Y_j)P(Y_j). ``normalised=False`` drops the evidence."""
    import sympy

    seen = sympy.symbols("j1:4", positive=True)  # P(X = x, Y = y_i)
    unseen = sympy.symbols("k1:4", positive=True)  # P(X = x', Y = y_i)
    prior = [j + k for j, k in zip(seen, unseen)]
    likelihood = [j / p for j, p in zip(seen, prior)]
    evidence = sum(l * p for l, p in zip(likelihood, prior)) if normalised else 1
    definition = sympy.Matrix([j / sum(seen) for j in seen])
    return definition, sympy.Matrix([l * p / evidence for l, p in zip(likelihood, prior)])


identity(
    name="bayes-rule",
    section=SECTION,
    catalogue_id="PROB-BAYES",
    summary="Bayes' rule from the definition of conditional probability (3 hypotheses)",
    formula="P(Y_i∣X) = P(X∣Y_i)P(Y_i)/P(X) = P(X∣Y_i)P(Y_i)/Σ_j P(X∣Y_j)P(Y_j)",
    latex=r"P(Y_i \mid X) = \frac{P(X \mid Y_i) P(Y_i)}{\sum_j P(X \mid Y_j) P(Y_j)}",
    build=bayes_statement,
    method="simplify (general joint table)",
    errata=(_E01,),
)
