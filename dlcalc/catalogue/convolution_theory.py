"""Convolution as an operator (sheet §12.1): shift equivariance, circular convolution and the DFT,
the LTI characterisation, and the identities of continuous convolution and the Fourier transform
(proven by SymPy, imported only inside the statement builders)."""

from __future__ import annotations

from dlcalc.catalogue._common import ABSENT, given, rounded, shape_text, vector_text
from dlcalc.catalogue._convolution import (H_KERNEL, X_SIGNAL, agree, array_result, as_matrix, as_vector, bounded,
                                           lookup, max_difference)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, INT, MATRIX, Param, claim, erratum, formula, identity
from dlcalc.core.result import Result

# ---- shift equivariance --------------------------------------------------------------------


_E43 = erratum(
    "E43",
    title="'Convs are shift-invariant'",
    sheet="Convs are shift-invariant: (f_Δ ∗ h) = (f ∗ h)_Δ",
    correct="the formula is right and says shift-EQUIVARIANT: the output shifts with the input. "
    "Invariance, (f_Δ ∗ h) = (f ∗ h), is false in general",
    command="dlcalc conv-shift-check --x 1,2,3 --h 1,1 --delta 1",
)




def _conv_at(f, h, u, period, shift=0):
    """(f_shift ∗ h)[u] = Σ_t f[t + shift]·h[u − t], summed over every t that can contribute."""
    ts = range(period) if period else range(-shift - len(h), len(f) - shift + len(h))
    return float(sum(lookup(f, t + shift, period) * lookup(h, u - t, period) for t in ts))


def shift_check(x, h, delta, circular):
    x, h = as_vector(x, "x"), as_vector(h, "h")
    period = len(x) if circular else 0
    bounded(3 * (len(x) + len(h) + abs(delta)) ** 2, "--x, --h and --delta are")
    if circular and len(h) > len(x):
        raise DlcalcError(f"--circular needs the kernel no longer than x, got {len(h)} > {len(x)}")
    span = range(period) if circular else range(min(0, -delta), len(x) + len(h) - 1 + max(0, -delta))
    shifted_input = [_conv_at(x, h, u, period, shift=delta) for u in span]
    shifted_output = [_conv_at(x, h, u + delta, period) for u in span]
    unshifted = [_conv_at(x, h, u, period) for u in span]
    equivariant, invariant = agree(shifted_input, shifted_output), agree(shifted_input, unshifted)
    where = f"u = {span[0]}…{span[-1]}" + (f" (mod {period})" if circular else "")
    return Result(
        value={"equivariant": equivariant, "invariant": invariant},
        steps=[f"f_Δ(t) = f(t + Δ), Δ = {delta}; {where}",
               f"(f_Δ∗h)[u] = {vector_text(shifted_input)}",
               f"(f∗h)_Δ[u] = {vector_text(shifted_output)}  → equivariant: {str(equivariant).lower()}",
               f"(f∗h)[u]   = {vector_text(unshifted)}  → invariant: {str(invariant).lower()}"],
        extra={"shifted_input": rounded(shifted_input), "shifted_output": rounded(shifted_output),
               "unshifted": rounded(unshifted)},
        holds=equivariant,
    )


claim(
    name="conv-shift-check",
    section="12.1",
    catalogue_id="CNN-SHIFT",
    summary="Shift the input by Δ: the convolution shifts with it (equivariant), it is not unchanged (invariant)",
    params=(X_SIGNAL, H_KERNEL, Param("delta", INT, "the shift Δ (f_Δ(t) = f(t + Δ)), any sign"),
            Param("circular", FLAG, "periodic signals of period len(x) (circular convolution)", default=False)),
    formula="(f_Δ∗h)(u) = (f∗h)_Δ(u),  f_Δ(t) = f(t + Δ)",
    latex=r"(f_\Delta * h)(u) = (f * h)_\Delta(u),\quad f_\Delta(t) = f(t+\Delta)",
    compute=shift_check,
    errata=(_E43,),
    examples=(
        ("--x 1,2,3 --h 1,1 --delta 1", "equivariant=true invariant=false"),
        ("--x 1,2,3,4 --h 1,-1 --delta 2 --circular", "equivariant=true invariant=false"),
        ("--x 2,2,2 --h 1,-1 --delta 1 --circular", "equivariant=true invariant=true",
         "a constant periodic signal is unchanged by shifts, so its output is too"),
    ),
    notes="Exit 0: equivariance holds (it always does). 'invariant' reports whether the output happens "
    "to be unchanged by the shift.",
)


# ---- circular convolution and the DFT ------------------------------------------------------


def circular_conv(x, h, n):
    import numpy as np

    x, h = as_vector(x, "x"), as_vector(h, "h")
    size = max(len(x), len(h)) if not given(n) else n
    bounded(size * size, "--n is")
    if size < max(len(x), len(h)):
        raise DlcalcError(f"--n {size} is shorter than the inputs ({len(x)} and {len(h)})")
    direct = np.array([_conv_at(x, h, u, size) for u in range(size)], dtype=float)
    via_fft = np.real(np.fft.ifft(np.fft.fft(x, size) * np.fft.fft(h, size)))
    linear = size >= len(x) + len(h) - 1
    return array_result(
        direct,
        steps=["(x⊛h)[u] = Σ_t x[t]·h[(u − t) mod N], N = " + str(size),
               f"DFT(x⊛h) = DFT(x)·DFT(h): ifft(fft(x)·fft(h)) agrees to {max_difference(direct, via_fft):.2g}",
               "N ≥ len(x) + len(h) − 1: equals the linear convolution (conv1d --mode full)" if linear
               else "N < len(x) + len(h) − 1: the tail wraps around; this is not conv1d"],
        extra={"N": size, "via_fft": rounded(via_fft.tolist()), "max_difference": max_difference(direct, via_fft),
               "equals_linear": linear},
    )


_E42 = erratum(
    "E42",
    title="'Convolution Theorem: any linear, translation-invariant transformation … is a convolution'",
    sheet="T. (Convolution Theorem) Any linear, translation-invariant transformation T can be written as a "
    "convolution with a suitable h",
    correct="that is the characterisation of LTI operators (translation-invariant meaning commuting with "
    "shifts, i.e. equivariant); the convolution theorem is 𝓕(f∗h) = 𝓕f·𝓕h (DFT: circular convolution)",
    command="dlcalc lti-check --T '1,0,2;2,1,0;0,2,1'",
)

formula(
    name="circular-conv",
    section="12.1",
    catalogue_id="CNN-CONVTHM",
    summary="Circular convolution of length N, directly and by the DFT convolution theorem",
    params=(X_SIGNAL, H_KERNEL, Param("n", INT, "period N (default: the longer input); N ≥ len(x) + len(h) − 1 gives "
                          "the linear convolution", default=ABSENT, aliases=("N",), minimum=1)),
    formula="DFT(x⊛h) = DFT(x)·DFT(h),  (x⊛h)[u] = Σ_t x[t]·h[(u − t) mod N]",
    latex=r"\mathcal{F}(f \circledast h) = \mathcal{F}f \cdot \mathcal{F}h",
    compute=circular_conv,
    errata=(_E42,),
    examples=(
        ("--x 1,2,3 --h 1,1", "4.0,3.0,5.0", "the 3 wraps round to u = 0"),
        ("--x 1,2,3 --h 1,1 --n 4", "1.0,3.0,5.0,3.0", "zero-padded: the linear convolution"),
    ),
)


# ---- LTI characterisation ------------------------------------------------------------------


def lti_check(T):
    import numpy as np

    T = as_matrix(T, "T")
    n = T.shape[0]
    bounded(n * n, "--T is")
    if T.shape != (n, n):
        raise DlcalcError(f"--T must be square (an operator on signals of one length), got {shape_text(T.shape)}")
    shift = np.roll(np.eye(n), 1, axis=0)  # (shift·x)[t] = x[t − 1], periodic
    equivariant = agree(T @ shift, shift @ T)
    kernel = T[:, 0]  # the impulse response: T applied to the unit impulse
    circulant = np.array([[kernel[(u - t) % n] for t in range(n)] for u in range(n)])
    convolution = agree(T, circulant)
    value = {"shift-equivariant": equivariant, "convolution": convolution}
    if convolution:
        value["kernel"] = rounded(kernel)
    return Result(
        value=value,
        steps=["T is linear (a matrix); shift-equivariant ⟺ T·S = S·T for the cyclic shift S",
               "then T x = h ⊛ x with h = T e₀ (the impulse response), so T is a (circular) convolution",
               f"here: equivariant {str(equivariant).lower()}, T = circulant(T e₀) {str(convolution).lower()}"],
        holds=convolution == equivariant,
    )


claim(
    name="lti-check",
    section="12.1",
    catalogue_id="CNN-LTI",
    summary="Is a linear operator on periodic signals shift-equivariant, and hence a convolution "
    "(with its impulse response)?",
    params=(Param("T", MATRIX, "an n×n matrix acting on signals of length n (periodic)"),),
    formula="T linear and T·S = S·T (shift-equivariant)  ⟺  T x = h ⊛ x with h = T e₀",
    latex=r"T S_\Delta = S_\Delta T \iff T f = h \circledast f,\; h = T\delta",
    compute=lti_check,
    errata=(_E42,),
    examples=(
        ("--T '1,0,2;2,1,0;0,2,1'", "shift-equivariant=true convolution=true kernel=1.0,2.0,0.0"),
        ("--T '1,0;0,2'", "shift-equivariant=false convolution=false", "a position-dependent gain"),
    ),
    notes="Exit 0 when 'equivariant ⟺ convolution' holds, as the LTI characterisation says it must.",
)



# ---- identities: continuous convolution and the Fourier transform (SymPy) ------------------


def symbols():
    import sympy

    t, u, s = sympy.symbols("t u s", real=True)
    a, b, c = sympy.symbols("a b c", positive=True)
    return sympy, t, u, s, a, b, c


def continuous_conv(f, h, t, u, s, correlate=False):
    """(f∗h)(u) = ∫ h(s) f(u − s) ds over ℝ (with ``correlate``: ∫ h(s) f(u + s) ds), as a function of t."""
    import sympy

    inner = u + s if correlate else u - s
    value = sympy.integrate(h.subs(t, s) * f.subs(t, inner), (s, -sympy.oo, sympy.oo), conds="none")
    return sympy.simplify(value).subs(u, t)


def gaussians():
    """f(t) = e^{−at²} and a shifted, hence not symmetric, h(t) = e^{−b(t−1)²}."""
    sympy, t, u, s, a, b, c = symbols()
    return sympy.exp(-a * t**2), sympy.exp(-b * (t - 1) ** 2)


def conv_forms_statement():
    """∫ h(s) f(u − s) ds and ∫ h(u − s) f(s) ds for two Gaussians."""
    sympy, t, u, s, a, b, c = symbols()
    f, h = gaussians()
    first = continuous_conv(f, h, t, u, s)
    second = sympy.integrate(h.subs(t, u - s) * f.subs(t, s), (s, -sympy.oo, sympy.oo), conds="none").subs(u, t)
    return first, sympy.simplify(second)


def commutative_statement():
    """f∗h and h∗f for two Gaussians, one shifted."""
    sympy, t, u, s, a, b, c = symbols()
    f, h = gaussians()
    return continuous_conv(f, h, t, u, s), continuous_conv(h, f, t, u, s)


def associative_statement():
    """(f∗g)∗k and f∗(g∗k) for three centred Gaussians of widths a, b, c."""
    sympy, t, u, s, a, b, c = symbols()
    f, g, k = (sympy.exp(-p * t**2) for p in (a, b, c))
    left = continuous_conv(continuous_conv(f, g, t, u, s), k, t, u, s)
    return left, continuous_conv(f, continuous_conv(g, k, t, u, s), t, u, s)


def fourier(f, t, u, angular=False):
    """(𝓕f)(u) = ∫ f(t) e^{−2πiut} dt over ℝ (``angular``: e^{−iut}, a different convention)."""
    import sympy

    rate = 1 if angular else 2 * sympy.pi
    return sympy.simplify(sympy.integrate(f * sympy.exp(-sympy.I * rate * u * t), (t, -sympy.oo, sympy.oo), conds="none"))


def gaussian_fourier_closed_form():
    """√(π/a)·e^{−π²u²/a}, the transform of e^{−at²} in the ordinary-frequency convention."""
    sympy, t, u, s, a, b, c = symbols()
    return sympy.sqrt(sympy.pi / a) * sympy.exp(-sympy.pi**2 * u**2 / a)


def fourier_statement():
    """𝓕 of e^{−at²} by the defining integral, and the closed form."""
    sympy, t, u, s, a, b, c = symbols()
    f, _ = gaussians()
    return fourier(f, t, u), gaussian_fourier_closed_form()


def convolution_theorem_statement():
    """𝓕(f∗h) and 𝓕f·𝓕h for two Gaussians, one shifted."""
    sympy, t, u, s, a, b, c = symbols()
    f, h = gaussians()
    return fourier(continuous_conv(f, h, t, u, s), t, u), fourier(f, t, u) * fourier(h, t, u)


def laplace_transform(f):
    """(Tf)(v) = ∫₀^∞ e^{−vt} f(t) dt, with v > 0 so that it converges."""
    sympy, t, u, s, a, b, c = symbols()
    v = sympy.Symbol("v", positive=True)
    return sympy.integrate(sympy.exp(-v * t) * f, (t, 0, sympy.oo), conds="none")


def linearity_pieces():
    """α, β and the two functions e^{−at} and t·e^{−bt} the linearity check transforms."""
    sympy, t, u, s, a, b, c = symbols()
    alpha, beta = sympy.symbols("alpha beta", real=True)
    return alpha, beta, sympy.exp(-a * t), t * sympy.exp(-b * t)


def linearity_statement():
    """T(αf + βg) and αTf + βTg for the Laplace transform."""
    import sympy

    alpha, beta, f, g = linearity_pieces()
    right = alpha * laplace_transform(f) + beta * laplace_transform(g)
    return sympy.simplify(laplace_transform(alpha * f + beta * g)), right


_BY_INTEGRALS = "integrate + simplify"

identity(
    name="integral-transform-linear", section="12.1", catalogue_id="CNN-LIN",
    summary="An integral transform is linear (checked for the Laplace kernel e^(−ut) on e^(−at) and t·e^(−bt))",
    formula="T(αf + βg) = αTf + βTg,  (Tf)(u) = ∫ K(t, u) f(t) dt",
    latex=r"T(\alpha f + \beta g) = \alpha Tf + \beta Tg", build=linearity_statement, method=_BY_INTEGRALS,
)
identity(
    name="conv-integral-forms", section="12.1", catalogue_id="CNN-CONV",
    summary="The two integral forms of a continuous convolution agree (two Gaussians, one shifted)",
    formula="(f∗h)(u) = ∫ h(t) f(u − t) dt = ∫ h(u − t) f(t) dt",
    latex=r"(f*h)(u) = \int h(t) f(u-t)\,dt = \int h(u-t) f(t)\,dt", build=conv_forms_statement,
    method=_BY_INTEGRALS,
)
identity(
    name="conv-commutative", section="12.1", catalogue_id="CNN-COMM-ASSOC",
    summary="Continuous convolution is commutative (two Gaussians, one shifted); correlation is not",
    formula="f∗h = h∗f", latex=r"f * h = h * f", build=commutative_statement, method=_BY_INTEGRALS,
)
identity(
    name="conv-associative", section="12.1", catalogue_id="CNN-COMM-ASSOC",
    summary="Continuous convolution is associative (three Gaussians of different widths)",
    formula="(f∗g)∗k = f∗(g∗k)", latex=r"(f * g) * k = f * (g * k)", build=associative_statement,
    method=_BY_INTEGRALS,
)
identity(
    name="fourier-transform", section="12.1", catalogue_id="CNN-FT",
    summary="Fourier transform by its defining integral: 𝓕[e^(−at²)](u) = √(π/a)·e^(−π²u²/a)",
    formula="(𝓕f)(u) = ∫ f(t) e^{−2πiut} dt",
    latex=r"(\mathcal{F}f)(u) = \int_{-\infty}^{\infty} f(t) e^{-2\pi i u t}\,dt", build=fourier_statement,
    method=_BY_INTEGRALS,
)
identity(
    name="convolution-theorem", section="12.1", catalogue_id="CNN-CONVTHM",
    summary="The convolution theorem 𝓕(f∗h) = 𝓕f·𝓕h (two Gaussians, one shifted; all integrals evaluated)",
    formula="𝓕(f∗h) = 𝓕f·𝓕h", latex=r"\mathcal{F}(f * h) = \mathcal{F}f \cdot \mathcal{F}h",
    build=convolution_theorem_statement, method=_BY_INTEGRALS, errata=(_E42,),
)
