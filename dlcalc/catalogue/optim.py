"""Optimisers and step-size schedules (sheet §11.3, and the empty §14).

Optimiser commands replay a sequence of gradients (one row per step) and show each step in a
table: SGD with momentum, RMSProp, Adagrad, Adam (with its bias correction, E40) and AdamW (decay
decoupled from the adaptive step). ``optimise-quadratic`` runs them on f(x) = ½xᵀHx so their
convergence can be watched; Nesterov needs the gradient at the look-ahead point, so it lives there.
``muon-orth`` orthogonalises a matrix by SVD or by Newton–Schulz iterations and ``muon-step`` takes
a whole Muon step. ``newton-step`` and ``convergence-rates`` fill the empty §14. ``robbins-monro``
decides the step-size conditions symbolically.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import (STEPS_BOUNDED, ABSENT, finite_array, given, matrix_result, rounded, square_array,
                                     vector_result, vector_text)
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, TEXT, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result, Table
from dlcalc.core.deadline import TimeUp, time_limit

SECTION = "11.3"


def adaptive_ratio(step, denominator):
    """step / denominator of an adaptive method; 0/0 (a zero gradient with ε = 0) is undefined."""
    if denominator == 0:
        raise DlcalcError("the adaptive denominator is 0 (a zero gradient with --eps 0): use --eps > 0")
    return step / denominator


def gradient_rows(grads):
    """A vector (one step) or a matrix (one row per step) -> list of row lists."""
    return [list(row) for row in grads] if isinstance(grads[0], tuple) else [list(grads)]


def _start(theta0, width):
    if not given(theta0):
        return [0.0] * width
    if len(theta0) != width:
        raise DlcalcError(f"--theta0 has {len(theta0)} entries but the gradients have {width}")
    return list(theta0)


def _replay(name, rows, theta, update, columns):
    """Apply ``update(t, theta, g) -> (theta, shown)`` for t = 1, 2, ...; a Result with the table."""
    table_rows = []
    for t, g in enumerate(rows, start=1):
        if len(g) != len(theta):
            raise DlcalcError(f"step {t}: the gradient has {len(g)} entries, θ has {len(theta)}")
        theta, shown = update(t, theta, g)
        table_rows.append([t, *(vector_text(v) for v in shown), vector_text(theta)])
    final = rounded(theta)
    return Result(value=final,
                  table=Table(columns=["t", *columns, "θ_t"], rows=table_rows, title=f"{name}: one row per step"))


_GRADS = Param("grads", MATRIX, "gradients, one row per step: 1,2 (one step) or '[[1,2],[0.5,1]]' or @g.csv")
_THETA0 = Param("theta0", VECTOR, "starting parameters (default zeros)", default=ABSENT)


# ---- SGD with momentum -------------------------------------------------------------------------


def momentum(grads, theta0, eta, beta):
    rows = gradient_rows(grads)
    velocity = [0.0] * len(rows[0])

    def update(t, theta, g):
        nonlocal velocity
        velocity = [beta * v - eta * gi for v, gi in zip(velocity, g)]
        return [x + v for x, v in zip(theta, velocity)], [velocity]

    return _replay("momentum", rows, _start(theta0, len(rows[0])), update, ["v_t"])


_E38 = erratum(
    "E38",
    title="momentum β ∈ [0, 1]",
    sheet="β ∈ [0, 1]",
    correct="β ∈ [0, 1): with β = 1 there is no friction and heavy-ball does not converge",
    command="dlcalc optimise-quadratic --H '[[1,0],[0,10]]' --x0 1,1 --method momentum --eta 0.05 --beta 1 --steps 50",
)

formula(
    name="momentum",
    section=SECTION,
    catalogue_id="OPT-MOM",
    summary="SGD with (heavy-ball) momentum over a sequence of gradients",
    params=(_GRADS, _THETA0, Param("eta", FLOAT, "learning rate η", default=0.1, minimum=0),
            Param("beta", FLOAT, "momentum β in [0, 1)", default=0.9, minimum=0)),
    formula="v ← βv − η g_t;  θ ← θ + v   (= θ_t − η g_t + β(θ_t − θ_{t−1}))",
    latex=r"v_{t} = \beta v_{t-1} - \eta g_t,\quad \theta_{t} = \theta_{t-1} + v_t",
    compute=momentum,
    errata=(_E38,),
    examples=(("--grads '[[1],[1]]' --eta 0.1 --beta 0.5", "-0.25", "v = −0.1 then −0.15"),),
)


# ---- adaptive methods --------------------------------------------------------------------------


def rmsprop(grads, theta0, alpha, beta, eps):
    rows = gradient_rows(grads)
    square = [0.0] * len(rows[0])

    def update(t, theta, g):
        nonlocal square
        square = [beta * s + (1 - beta) * gi * gi for s, gi in zip(square, g)]
        return [x - alpha * adaptive_ratio(gi, math.sqrt(s) + eps) for x, gi, s in zip(theta, g, square)], [square]

    return _replay("rmsprop", rows, _start(theta0, len(rows[0])), update, ["s_t"])


formula(
    name="rmsprop",
    section=SECTION,
    catalogue_id="OPT-RMSPROP",
    summary="RMSProp over a sequence of gradients",
    params=(_GRADS, _THETA0, Param("alpha", FLOAT, "learning rate α", default=0.01, minimum=0),
            Param("beta", FLOAT, "decay β of the squared-gradient average", default=0.9, minimum=0),
            Param("eps", FLOAT, "ε added to sqrt(s_t)", default=1e-8, minimum=0)),
    formula="s_t = βs_{t−1} + (1−β)g_t²;  θ_{t+1} = θ_t − α g_t/(sqrt(s_t) + ε)",
    latex=r"s_t = \beta s_{t-1} + (1-\beta) g_t^2,\quad \theta_{t+1} = \theta_t - \frac{\alpha g_t}{\sqrt{s_t} + \epsilon}",
    compute=rmsprop,
    examples=(("--grads 2 --alpha 0.1 --beta 0.75 --eps 0", "-0.2", "s = 0.25·4 = 1, step 0.1·2/1"),),
)


def adagrad(grads, theta0, alpha, eps):
    rows = gradient_rows(grads)
    total = [0.0] * len(rows[0])

    def update(t, theta, g):
        nonlocal total
        total = [s + gi * gi for s, gi in zip(total, g)]
        return [x - alpha * adaptive_ratio(gi, math.sqrt(s + eps)) for x, gi, s in zip(theta, g, total)], [total]

    return _replay("adagrad", rows, _start(theta0, len(rows[0])), update, ["Σg²"])


formula(
    name="adagrad",
    section="14",
    catalogue_id="OPT-ADAGRAD",
    summary="Adagrad over a sequence of gradients",
    params=(_GRADS, _THETA0, Param("alpha", FLOAT, "learning rate α", default=0.01, minimum=0),
            Param("eps", FLOAT, "ε inside the square root", default=1e-10, minimum=0)),
    formula="G_t = Σ_{s≤t} g_s²;  θ_{t+1} = θ_t − α g_t/sqrt(G_t + ε)",
    latex=r"\theta_{t+1} = \theta_t - \frac{\alpha\, g_t}{\sqrt{\sum_{s \le t} g_s^2 + \epsilon}}",
    compute=adagrad,
    examples=(("--grads '[[3],[4]]' --alpha 1 --eps 0", "-1.8", "3/3 + 4/5"),),
)


def adam_update(alpha, beta1, beta2, eps, weight_decay=0.0, bias_correction=True):
    """The Adam/AdamW update as ``update(t, theta, g)``, keeping the moments in a closure."""
    state = {"m": None, "v": None}

    def update(t, theta, g):
        m = state["m"] or [0.0] * len(g)
        v = state["v"] or [0.0] * len(g)
        m = [beta1 * a + (1 - beta1) * gi for a, gi in zip(m, g)]
        v = [beta2 * b + (1 - beta2) * gi * gi for b, gi in zip(v, g)]
        state["m"], state["v"] = m, v
        c1, c2 = (1 - beta1**t, 1 - beta2**t) if bias_correction else (1.0, 1.0)
        m_hat, v_hat = [a / c1 for a in m], [b / c2 for b in v]
        # AdamW: the decay λθ is added to the step, not to the gradient (decoupled).
        new = [x - alpha * (adaptive_ratio(a, math.sqrt(b) + eps) + weight_decay * x) for x, a, b in zip(theta, m_hat, v_hat)]
        return new, [m_hat, v_hat]

    return update


_ADAM_PARAMS = (
    _GRADS, _THETA0,
    Param("alpha", FLOAT, "learning rate α", default=0.001, aliases=("lr",), minimum=0),
    Param("beta1", FLOAT, "first-moment decay β1", default=0.9, minimum=0),
    Param("beta2", FLOAT, "second-moment decay β2", default=0.999, minimum=0),
    Param("eps", FLOAT, "ε added to sqrt(v̂)", default=1e-8, minimum=0),
)


def adam(grads, theta0, alpha, beta1, beta2, eps, no_bias_correction):
    rows = gradient_rows(grads)
    update = adam_update(alpha, beta1, beta2, eps, bias_correction=not no_bias_correction)
    result = _replay("adam", rows, _start(theta0, len(rows[0])), update, ["m̂_t", "v̂_t"])
    if no_bias_correction:
        result.warnings.append("without bias correction the first steps are too large (E40)")
    return result


_E40 = erratum(
    "E40",
    title="Adam bias correction used but never defined",
    sheet="It also includes bias correction terms m̂_t, v̂_t",
    correct="m̂_t = m_t/(1 − β1^t), v̂_t = v_t/(1 − β2^t), t from 1, m_0 = v_0 = 0; without them "
    "the first step is about 3.16α instead of α (β1 = 0.9, β2 = 0.999)",
    command="dlcalc adam --grads 1 --alpha 0.001 --eps 0 --no-bias-correction",
)

formula(
    name="adam",
    section=SECTION,
    catalogue_id="OPT-ADAM",
    summary="Adam over a sequence of gradients, with bias correction",
    params=(*_ADAM_PARAMS, Param("no-bias-correction", FLAG, "omit m̂, v̂ (to see why they matter)", default=False)),
    formula="m_t = β1 m + (1−β1)g;  v_t = β2 v + (1−β2)g²;  m̂ = m_t/(1−β1^t);  v̂ = v_t/(1−β2^t);  "
    "θ ← θ − α m̂/(sqrt(v̂) + ε)",
    latex=r"\theta_{t+1} = \theta_t - \alpha \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},\ \hat m_t = \frac{m_t}{1-\beta_1^t},\ \hat v_t = \frac{v_t}{1-\beta_2^t}",
    compute=adam,
    errata=(_E40,),
    examples=(
        ("--grads 1,-1 --alpha 0.5 --eps 0", "-0.5,0.5", "the first step is α·sign(g)"),
        ("--grads 1 --alpha 1 --beta1 0 --beta2 0.75 --eps 0 --no-bias-correction", "-2.0",
         "v_1 = 0.25: without correction the step is 1/sqrt(0.25) = 2, not 1"),
    ),
)


def adamw(grads, theta0, alpha, beta1, beta2, eps, weight_decay):
    rows = gradient_rows(grads)
    update = adam_update(alpha, beta1, beta2, eps, weight_decay=weight_decay)
    return _replay("adamw", rows, _start(theta0, len(rows[0])), update, ["m̂_t", "v̂_t"])


formula(
    name="adamw",
    section="14",
    catalogue_id="OPT-ADAMW",
    summary="AdamW: Adam with weight decay decoupled from the adaptive step",
    params=(*_ADAM_PARAMS, Param("weight-decay", FLOAT, "decay λ", default=0.01, minimum=0)),
    formula="θ ← θ − α (m̂/(sqrt(v̂) + ε) + λθ)",
    latex=r"\theta_{t+1} = \theta_t - \alpha\left(\frac{\hat m_t}{\sqrt{\hat v_t}+\epsilon} + \lambda\theta_t\right)",
    compute=adamw,
    examples=(("--grads 0 --theta0 2 --alpha 0.5 --weight-decay 0.1 --eps 1", "1.9",
               "zero gradient: only the decay acts, 2 − 0.5·0.1·2"),),
)


# ---- a quadratic to watch ------------------------------------------------------------------------


def _quadratic_step(method, eta, beta, adam_state):
    """One step of ``method`` on f(x) = ½xᵀHx, as a function (x, x_prev, grad, t) -> x_next."""
    if method == "gd":
        return lambda x, prev, grad, t: x - eta * grad(x)
    if method == "momentum":
        return lambda x, prev, grad, t: x - eta * grad(x) + beta * (x - prev)
    if method == "nesterov":
        # Look ahead with the momentum, then take the gradient step from there (E39).
        return lambda x, prev, grad, t: (lambda y: y - eta * grad(y))(x + beta * (x - prev))

    def adam_step(x, prev, grad, t):
        new, _ = adam_state(t, list(x), list(grad(x)))
        import numpy as np

        return np.array(new)

    return adam_step


def optimise_quadratic(H, x0, method, eta, beta, steps, every):
    import numpy as np

    h = np.array(H, dtype=float)
    if h.shape != (len(x0), len(x0)):
        raise DlcalcError(f"--H must be {len(x0)}×{len(x0)} to match --x0")
    if not np.allclose(h, h.T):
        raise DlcalcError("--H must be symmetric")
    eigenvalues = np.linalg.eigvalsh(h)
    adam_state = adam_update(eta, 0.9, 0.999, 1e-8) if method == "adam" else None
    step = _quadratic_step(method, eta, beta, adam_state)

    def f(x):
        return 0.5 * float(x @ h @ x)

    def grad(x):
        return h @ x

    x = prev = np.array(x0, dtype=float)
    rows, start = [[0, f"{f(x):.6g}", f"{np.linalg.norm(grad(x)):.6g}"]], f(x)
    for t in range(1, steps + 1):
        x, prev = step(x, prev, grad, t), x
        if not np.isfinite(x).all():
            rows.append([t, "diverged", ""])
            break
        if t % every == 0 or t == steps:
            rows.append([t, f"{f(x):.6g}", f"{np.linalg.norm(grad(x)):.6g}"])
    value = f(x) if np.isfinite(x).all() else math.inf
    lowest = float(eigenvalues.min())
    notes = [f"eigenvalues of H: {', '.join(f'{v:.6g}' for v in eigenvalues)}; κ = {eigenvalues.max() / lowest:.6g}"
             if lowest > 0 else "H is not positive definite: f is unbounded below or flat in some direction"]
    if method == "gd" and lowest > 0:
        rate = max(abs(1 - eta * eigenvalues.min()), abs(1 - eta * eigenvalues.max()))
        notes.append(f"GD contracts each eigen-direction by |1 − ηλ|: worst {rate:.6g} (f by its square)")
    return Result(value=value if math.isfinite(value) else "inf",
                  plain=repr(value) if math.isfinite(value) else "inf", steps=notes,
                  table=Table(columns=["t", "f(x_t)", "‖∇f(x_t)‖"], rows=rows,
                              title=f"{method} on f(x) = ½xᵀHx from f(x_0) = {start:.6g}"),
                  extra={"x": rounded(x) if np.isfinite(x).all() else None})


_E39 = erratum(
    "E39",
    title="Nesterov overwrites θ^{t+1}",
    sheet="θ^{t+1} = θ^t + β(θ^t − θ^{t−1});  θ^{t+1} = θ^{t+1} − η∇f(θ^{t+1})",
    correct="y = θ^t + β(θ^t − θ^{t−1});  θ^{t+1} = y − η∇f(y) (a separate look-ahead variable)",
    command="dlcalc optimise-quadratic --H '[[1,0],[0,100]]' --x0 1,1 --method nesterov --eta 0.01 --beta 0.9 --steps 100",
)

formula(
    name="optimise-quadratic",
    section=SECTION,
    catalogue_id="OPT-NAG",
    summary="Run GD, momentum, Nesterov or Adam on f(x) = ½xᵀHx and tabulate f per step",
    params=(
        Param("H", MATRIX, "the symmetric Hessian H (ill-conditioned: '[[1,0],[0,100]]')"),
        Param("x0", VECTOR, "the starting point"),
        Param("method", choice("gd", "momentum", "nesterov", "adam"), "the optimiser", default="gd"),
        Param("eta", FLOAT, "learning rate η", default=0.01, minimum=0),
        Param("beta", FLOAT, "momentum β (momentum, nesterov)", default=0.9, minimum=0),
        Param("steps", INT, "number of steps", default=100, minimum=1),
        Param("every", INT, "show every N-th step in the table", default=10, minimum=1),
    ),
    formula="GD x ← x − ηHx;  momentum x ← x − ηHx + β(x − x_prev);  Nesterov y = x + β(x − x_prev), x ← y − ηHy",
    latex=r"y = \theta_t + \beta(\theta_t - \theta_{t-1}),\quad \theta_{t+1} = y - \eta\nabla f(y)",
    compute=optimise_quadratic,
    errata=(_E39,),
    rules=(STEPS_BOUNDED,),
    examples=(
        ("--H '[[1,0],[0,2]]' --x0 1,1 --method gd --eta 0.5 --steps 1", "0.125",
         "x_1 = (0.5, 0): f = ½·0.25"),
        ("--H '[[2]]' --x0 1 --method nesterov --eta 0.25 --beta 0.5 --steps 2", "0.015625",
         "x_1 = 0.5, y = 0.25, x_2 = 0.125, f = x²"),
    ),
)


# ---- Muon ---------------------------------------------------------------------------------------

# Quintic Newton–Schulz coefficients tuned for speed of convergence near 0 (the Muon reference).
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(m, steps, coefficients=NS_COEFFICIENTS):
    """Approximate the polar factor UVᵀ by quintic iterations X ← aX + (bXXᵀ + c(XXᵀ)²)X."""
    import numpy as np

    a, b, c = coefficients
    x = m / (np.linalg.norm(m) + 1e-7)  # the Frobenius norm bounds σ_max, so σ ≤ 1 to start
    wide = x.shape[0] > x.shape[1]
    if wide:
        x = x.T  # iterate on the smaller Gram matrix
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if wide else x


def polar_factor(m):
    """UVᵀ from the thin SVD (all singular values 1)."""
    import numpy as np

    u, _, vt = np.linalg.svd(m, full_matrices=False)
    return u @ vt


def muon_orth(matrix, method, ns_steps):
    import numpy as np

    m = np.array(matrix, dtype=float)
    p = polar_factor(m) if method == "svd" else newton_schulz(m, ns_steps)
    singular = np.linalg.svd(p, compute_uv=False)
    rows, cols = m.shape
    steps = [f"singular values of M: {', '.join(f'{s:.4g}' for s in np.linalg.svd(m, compute_uv=False))}",
             f"singular values of orth(M): {', '.join(f'{s:.4g}' for s in singular)}"
             + (" (Newton–Schulz only pushes them near 1)" if method != "svd" else ""),
             f"Muon's update: W ← W − η·s·orth(M) with s = sqrt(d_out/d_in) = {math.sqrt(rows / cols):.4g} "
             f"(reference code: max(1, d_out/d_in)^½ = {math.sqrt(max(1, rows / cols)):.4g})"]
    return matrix_result(p, digits=10,
                  steps=steps, extra={"singular_values": rounded(singular)})


_E41 = erratum(
    "E41",
    title="Muon's 'orthogonalize' undefined; full-SVD shapes",
    sheet="orthogonalize via SVD M = UΣVᵀ with U ∈ O(m), V ∈ O(n)",
    correct="orth(M) = UVᵀ from the thin SVD (U m×r, V n×r), the polar factor; in practice ~5 quintic "
    "Newton–Schulz steps, which only push the singular values near 1; scale sqrt(d_out/d_in)",
    command="dlcalc muon-orth --matrix '[[3,0],[0,1],[0,0]]' --method svd",
)

formula(
    name="muon-orth",
    section=SECTION,
    catalogue_id="OPT-MUON",
    summary="Muon's orthogonalisation of a momentum matrix: UVᵀ by SVD or Newton–Schulz",
    params=(
        Param("matrix", MATRIX, "the (momentum) matrix M", aliases=("M",)),
        Param("method", choice("svd", "newton-schulz"), "exact polar factor, or quintic Newton–Schulz", default="svd"),
        Param("ns-steps", INT, "Newton–Schulz iterations", default=5, minimum=0),
    ),
    formula="orth(M) = UVᵀ where M = UΣVᵀ (thin SVD);  W ← W − η·sqrt(d_out/d_in)·orth(μM_{t−1} + ∇W)",
    latex=r"\mathrm{orth}(M) = UV^\top,\quad M = U\Sigma V^\top",
    compute=muon_orth,
    errata=(_E41,),
    examples=(("--matrix '[[3,0],[0,1],[0,0]]'", "[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]"),
              ("--matrix '[[0,2],[-5,0]]'", "[[0.0, 1.0], [-1.0, 0.0]]")),
)


def muon_step(W, grad, momentum, mu, eta, method, ns_steps, scale):
    """M_t = μM_{t−1} + ∇W;  W ← W − η·s·orth(M_t), s = sqrt(d_out/d_in) (or the reference max(1, ·)^½)."""
    import numpy as np

    w, g = finite_array(W, "--W"), finite_array(grad, "--grad")
    previous = np.zeros_like(g) if not given(momentum) else finite_array(momentum, "--momentum")
    if not (w.shape == g.shape == previous.shape):
        raise DlcalcError(f"--W, --grad and --momentum must have the same shape, got "
                          f"{w.shape[0]}×{w.shape[1]}, {g.shape[0]}×{g.shape[1]}, {previous.shape[0]}×{previous.shape[1]}")
    m = mu * previous + g
    p = polar_factor(m) if method == "svd" else newton_schulz(m, ns_steps)
    d_out, d_in = w.shape
    s = math.sqrt(d_out / d_in) if scale == "paper" else math.sqrt(max(1.0, d_out / d_in))
    new, orth = w - eta * s * p, rounded(p, 10)
    return matrix_result(new, digits=10, extra={"momentum": rounded(m), "orth": orth, "scale": s},
                         steps=[f"M_t = μM_{{t−1}} + ∇W = {rounded(m.tolist())}",
                                f"orth(M_t) by {method}: {orth}",
                                f"s = {'sqrt(d_out/d_in)' if scale == 'paper' else 'max(1, d_out/d_in)^½'} = {s!r} "
                                f"(W is d_out×d_in = {d_out}×{d_in});  W ← W − η·s·orth(M_t)"])


formula(
    name="muon-step",
    section=SECTION,
    catalogue_id="OPT-MUON",
    summary="One Muon update: momentum, orthogonalisation (as muon-orth), W ← W − η·s·orth(M)",
    params=(
        Param("W", MATRIX, "the weights W (d_out×d_in)"),
        Param("grad", MATRIX, "the gradient ∇_W L, same shape"),
        Param("momentum", MATRIX, "the previous momentum M_{t−1} (default zeros)", default=ABSENT),
        Param("mu", FLOAT, "momentum μ", default=0.95, minimum=0),
        Param("eta", FLOAT, "learning rate η", default=0.02, minimum=0),
        Param("method", choice("svd", "newton-schulz"), "exact polar factor, or quintic Newton–Schulz", default="svd"),
        Param("ns-steps", INT, "Newton–Schulz iterations", default=5, minimum=0),
        Param("scale", choice("paper", "reference"), "s = sqrt(d_out/d_in), or the reference code's max(1, d_out/d_in)^½",
              default="paper"),
    ),
    formula="M_t = μM_{t−1} + ∇_W L;  W_{t+1} = W_t − η·s·orth(M_t),  orth(M) = UVᵀ (thin SVD),  s = sqrt(d_out/d_in)",
    latex=r"M_t = \mu M_{t-1} + \nabla_W\mathcal{L},\quad W_{t+1} = W_t - \eta\, s\, \mathrm{orth}(M_t)",
    compute=muon_step,
    errata=(_E41,),
    examples=(
        ("--W '[[1,0],[0,1]]' --grad '[[3,0],[0,1]]' --eta 0.1", "[[0.9, 0.0], [0.0, 0.9]]", "orth = I, s = 1"),
        ("--W '[[0,0],[0,0],[0,0]]' --grad '[[3,0],[0,1],[0,0]]' --eta 1",
         "[[-1.224744871, 0.0], [0.0, -1.224744871], [0.0, 0.0]]", "s = sqrt(3/2)"),
        ("--W '[[0,0],[0,0],[0,0]]' --grad '[[0,0],[0,0],[0,0]]' --momentum '[[0,2],[-5,0],[0,0]]' --mu 0.5 --eta 1",
         "[[0.0, -1.224744871], [1.224744871, 0.0], [0.0, 0.0]]", "M = ½·M_{t−1}: orth = [[0,1],[−1,0],[0,0]]"),
    ),
)


# ---- Newton's method and the table of convergence rates (the empty §14) ---------------------------


def newton_step(H, b, theta, eta):
    """One (damped) Newton step on J(θ) = ½θᵀHθ + bᵀθ: θ ← θ − ηH⁻¹∇J, ∇J = Hθ + b."""
    import numpy as np

    h = square_array(H, "H")
    if len(b) != len(h) or len(theta) != len(h):
        raise DlcalcError(f"--b and --theta need {len(h)} entries to match --H")
    if not np.allclose(h, h.T):
        raise DlcalcError("--H must be symmetric (a Hessian)")
    if np.linalg.matrix_rank(h) < len(h):
        raise DlcalcError("--H is singular: the Newton step H⁻¹∇J does not exist")
    start, linear = np.array(theta, dtype=float), np.array(b, dtype=float)
    grad = h @ start + linear
    new = start - eta * np.linalg.solve(h, grad)

    def value(t):
        return 0.5 * float(t @ h @ t) + float(linear @ t)

    lowest = float(np.linalg.eigvalsh(h).min())
    warnings = [] if lowest > 0 else ["H is not positive definite: Newton's step goes to a saddle or maximum, not a minimum"]
    return vector_result(new, warnings=warnings,
                         steps=[f"∇J(θ) = Hθ + b = {vector_text(grad)}",
                                f"θ ← θ − η H⁻¹∇J(θ) = {vector_text(new)};  J: {value(start)!r} → {value(new)!r}",
                                f"∇J at the new point = {vector_text(h @ new + linear)} (0 after one full step on a quadratic)"],
                         extra={"gradient": rounded(grad), "J_before": value(start), "J_after": value(new)})


formula(
    name="newton-step",
    section="14",
    catalogue_id="OPT-NEWTON",
    summary="One Newton step θ − ηH⁻¹∇J on the quadratic J(θ) = ½θᵀHθ + bᵀθ (one full step reaches the minimiser)",
    params=(Param("H", MATRIX, "the symmetric Hessian H"), Param("b", VECTOR, "the linear term b"),
            Param("theta", VECTOR, "the current point θ"),
            Param("eta", FLOAT, "damping η (1 = the full Newton step)", default=1.0, minimum=0)),
    formula="θ ← θ − η H⁻¹∇J(θ),  ∇J = Hθ + b;  with η = 1: θ = −H⁻¹b, the minimiser for H ≻ 0",
    latex=r"\theta \leftarrow \theta - H^{-1}\nabla J(\theta)",
    compute=newton_step,
    examples=(("--H '[[2,0],[0,4]]' --b -2,-4 --theta 0,0", "1.0,1.0", "∇J = (−2, −4), H⁻¹∇J = (−1, −1)"),
              ("--H '[[2,1],[1,2]]' --b 0,0 --theta 3,-1 --eta 0.5", "1.5,-0.5", "half-way to 0")),
)


def rate_bounds(k, L, mu, R, G):
    """The classical bounds on f(x_k) − f* after k steps, with R = ‖x_0 − x*‖."""
    bounds = {"convex": L * R * R / (2 * k), "nesterov": 2 * L * R * R / (k + 1) ** 2, "sgd": R * G / math.sqrt(k)}
    if given(mu):
        bounds["strongly_convex"] = (1 - mu / L) ** k * L * R * R / 2
    return bounds


_RATE_ROWS = (
    ("convex", "GD, η = 1/L, convex L-smooth", "L‖x_0 − x*‖²/(2k)", "O(1/k)"),
    ("strongly_convex", "GD, η = 1/L, μ-strongly convex", "(1 − μ/L)^k · L‖x_0 − x*‖²/2", "O((1 − μ/L)^k)"),
    ("nesterov", "Nesterov, convex L-smooth", "2L‖x_0 − x*‖²/(k + 1)²", "O(1/k²)"),
    ("sgd", "SGD, η = R/(G√k), averaged iterate, E‖g‖² ≤ G²", "RG/√k", "O(1/√k)"),
)


def convergence_rates(k, L, mu, R, G):
    if given(mu) and mu > L:
        raise DlcalcError(f"μ = {mu} cannot exceed L = {L}")
    bounds = rate_bounds(k, L, mu, R, G)
    rows = [[label, text, order, f"{bounds[key]:.6g}"] for key, label, text, order in _RATE_ROWS if key in bounds]
    return Result(value={key: bounds[key] for key, *_ in _RATE_ROWS if key in bounds},
                  table=Table(columns=["method", "bound on f(x_k) − f*", "order", f"at k = {k}"], rows=rows,
                              title="classical convergence rates"),
                  steps=["f(x_0) − f* ≤ L‖x_0 − x*‖²/2 for L-smooth f, which turns the linear rate into the same units"])


formula(
    name="convergence-rates",
    section="14",
    catalogue_id="OPT-RATES",
    summary="Table of convergence rates (convex O(1/k), strongly convex O((1−μ/L)^k), Nesterov O(1/k²), SGD O(1/√k)) at k",
    params=(Param("k", INT, "number of iterations k", minimum=1), Param("L", FLOAT, "smoothness L", default=1.0, minimum=1e-300),
            Param("mu", FLOAT, "strong convexity μ (adds that row)", default=ABSENT, minimum=0),
            Param("R", FLOAT, "distance ‖x_0 − x*‖", default=1.0, minimum=0),
            Param("G", FLOAT, "gradient bound G (SGD: E‖g‖² ≤ G²)", default=1.0, minimum=0)),
    formula="convex L R²/(2k);  μ-SC (1 − μ/L)^k L R²/2;  Nesterov 2L R²/(k+1)²;  SGD R G/√k",
    latex=r"\frac{LR^2}{2k},\ \left(1 - \frac{\mu}{L}\right)^k \frac{LR^2}{2},\ \frac{2LR^2}{(k+1)^2},\ \frac{RG}{\sqrt{k}}",
    compute=convergence_rates,
    examples=(("--k 4", "convex=0.125 nesterov=0.08 sgd=0.5", "1/8, 2/25, 1/2"),
              ("--k 2 --L 2 --mu 1 --R 1", "convex=0.5 strongly_convex=0.25 nesterov=0.4444444444444444 sgd=0.7071067811865475",
               "(1/2)²·1 = 1/4; 4/9; 1/√2")),
)


# ---- averaging, clipping, schedules --------------------------------------------------------------


def polyak_average(thetas, mode, beta):
    rows = gradient_rows(thetas)
    average = list(rows[0])
    for t, theta in enumerate(rows[1:], start=2):
        weight = 1 / t if mode == "mean" else beta
        average = [(1 - weight) * a + weight * x for a, x in zip(average, theta)]
    final = rounded(average)
    return Result(value=final,
                  steps=["θ̄_t = (1 − 1/t) θ̄_{t−1} + θ_t/t" if mode == "mean" else f"θ̄_t = (1 − β) θ̄_{{t−1}} + β θ_t, β = {beta}"])


_E35 = erratum(
    "E35",
    title="Polyak averaging 'O(1/t) for convex problems'",
    sheet="Polyak averaging achieves O(1/t) for convex problems",
    correct="O(1/t) for strongly convex smooth problems (Polyak & Juditsky 1992); O(1/√t) for general convex",
    command="dlcalc polyak-average --thetas '[[1],[2],[3]]'",
)

formula(
    name="polyak-average",
    section=SECTION,
    catalogue_id="OPT-POLYAK",
    summary="Polyak (running mean) or exponential moving average of iterates",
    params=(Param("thetas", MATRIX, "iterates θ_1, θ_2, ..., one per row"),
            Param("mode", choice("mean", "ema"), "running mean or EMA", default="mean"),
            Param("beta", FLOAT, "EMA weight β of the newest iterate", default=0.1, minimum=0)),
    formula="θ̄_t = (1 − 1/t) θ̄_{t−1} + θ_t/t;  EMA θ̄_t = (1 − β) θ̄_{t−1} + β θ_t",
    latex=r"\bar\theta_t = \left(1 - \tfrac1t\right)\bar\theta_{t-1} + \tfrac1t\theta_t",
    compute=polyak_average,
    errata=(_E35,),
    examples=(("--thetas '[[1],[2],[3]]'", "2.0"), ("--thetas '[[0],[1]]' --mode ema --beta 0.25", "0.25")),
)


def clip_grad(grad, max_norm):
    norm = math.hypot(*grad)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    clipped = [g * scale for g in grad]
    return Result(value=clipped,
                  steps=[f"‖g‖ = {norm!r};  scale min(1, c/‖g‖) = {scale!r}"], extra={"norm": norm})


formula(
    name="clip-grad",
    section="14",
    catalogue_id="OPT-CLIP",
    summary="Gradient clipping by global norm",
    params=(Param("grad", VECTOR, "the gradient g"), Param("max-norm", FLOAT, "the threshold c", minimum=0)),
    formula="g ← g · min(1, c/‖g‖)",
    latex=r"g \leftarrow g\,\min\!\left(1, \frac{c}{\|g\|}\right)",
    compute=clip_grad,
    examples=(("--grad 3,4 --max-norm 1", "0.6000000000000001,0.8", "3·(1/5) rounds up in binary"),
              ("--grad 0.3,0.4 --max-norm 1", "0.3,0.4")),
)


def schedule_value(kind, t, peak, floor, total, warmup):
    """Learning rate at step t (0-based) of a schedule."""
    if warmup > 0 and t < warmup:
        return peak * (t + 1) / warmup  # linear warm-up reaches the peak at step warmup − 1
    if kind == "constant":
        return peak
    progress = min(max(t - warmup, 0) / max(total - warmup, 1), 1.0)
    if kind == "linear":
        return floor + (peak - floor) * (1 - progress)
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def lr_schedule(kind, peak, floor, total, warmup, at, every):
    if warmup > total:
        raise DlcalcError(f"--warmup ({warmup}) cannot exceed --total ({total})")
    if at != -1:
        value = schedule_value(kind, at, peak, floor, total, warmup)
        return Result(value=value,
                      steps=[f"η_{at} = {value!r}  ({kind}, warm-up {warmup} steps, {total} steps in all)"])
    points = list(range(0, total + 1, every))
    values = [schedule_value(kind, t, peak, floor, total, warmup) for t in points]
    return Result(value=values,
                  table=Table(columns=["t", "η_t"], rows=[[t, f"{v:.6g}"] for t, v in zip(points, values)],
                              title=f"{kind} schedule"), extra={"steps": points})


formula(
    name="lr-schedule",
    section="14",
    catalogue_id="OPT-SCHEDULE",
    summary="Learning-rate schedules (cosine, linear, constant; optional linear warm-up) at a step or tabulated",
    params=(
        Param("kind", choice("cosine", "linear", "constant"), "the decay after warm-up", default="cosine"),
        Param("peak", FLOAT, "η_max", default=0.001, minimum=0),
        Param("floor", FLOAT, "η_min reached at the end", default=0.0, minimum=0),
        Param("total", INT, "total steps T", minimum=1),
        Param("warmup", INT, "linear warm-up steps", default=0, minimum=0),
        Param("at", INT, "the step t (0-based); without it, a table", default=-1, minimum=-1),
        Param("every", INT, "table spacing", default=1, minimum=1),
    ),
    formula="cosine η_t = η_min + ½(η_max − η_min)(1 + cos(π (t−W)/(T−W)));  warm-up η_t = η_max (t+1)/W for t < W",
    latex=r"\eta_t = \eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})\left(1 + \cos\frac{\pi t}{T}\right)",
    compute=lr_schedule,
    examples=(
        ("--total 100 --peak 1 --at 50", "0.5", "half-way down the cosine"),
        ("--total 100 --peak 1 --at 100", "0.0"),
        ("--kind linear --total 4 --peak 1", "1.0,0.75,0.5,0.25,0.0"),
        ("--total 110 --warmup 10 --peak 1 --at 4", "0.5", "warm-up: 5/10 of the peak"),
    ),
)


# ---- Robbins–Monro ---------------------------------------------------------------------------------


def _series_verdict(term, t):
    """(converges: bool | None, value text) for Σ_{t≥1} term, decided by SymPy."""
    import sympy

    series = sympy.Sum(term, (t, 1, sympy.oo))
    try:
        verdict = series.is_convergent()
    except (NotImplementedError, ValueError, TypeError):
        verdict = None
    if verdict not in (sympy.true, sympy.false, True, False):
        return None, "undecided"
    if not verdict:
        return False, "∞"
    value = series.doit()
    return True, sympy.sstr(value) if not isinstance(value, sympy.Sum) else "finite"


def robbins_monro(alpha):
    import sympy

    from dlcalc.core.scalar_expr import parse_scalar

    t = sympy.Symbol("t", integer=True, positive=True)
    term = parse_scalar(alpha, {"t": t}, what="--alpha")
    if not term.has(t) and not term.is_positive:
        raise DlcalcError(f"--alpha must be positive, got {sympy.sstr(term)}")
    # Step sizes are positive; check far out, where the series' fate is decided.
    for far in (10**3, 10**6, 10**9):
        value = sympy.N(term.subs(t, far))
        if not (value.is_real and value > 0):
            raise DlcalcError(f"--alpha must be positive for large t; α_{far} = {sympy.sstr(value)}")
    try:
        with time_limit(60):
            first, first_value = _series_verdict(term, t)
            second, second_value = _series_verdict(term**2, t)
    except TimeUp:
        raise DlcalcError("SymPy could not decide the series within 60 s") from None
    if first is None or second is None:
        raise DlcalcError("SymPy could not decide whether the series converge for this α_t")
    shown = sympy.sstr(term)
    steps = [f"α_t = {shown}",
             f"Σ α_t = {first_value}: " + ("diverges, as required" if not first else "converges, so the steps stop too soon"),
             f"Σ α_t² = {second_value}: " + ("converges, as required" if second else "diverges, so the noise never averages out")]
    failures = ([f"Σ α_t = {first_value} < ∞ (needs to diverge)"] if first else []) + \
               (["Σ α_t² = ∞ (needs to converge)"] if not second else [])
    holds = not failures
    return Result(value=holds,
                  plain="satisfied" if holds else "fails: " + "; ".join(failures), steps=steps,
                  extra={"sum_alpha": first_value, "sum_alpha_squared": second_value, "alpha": shown},
                  holds=holds)


_E36 = erratum(
    "E36",
    title="Robbins–Monro example 1/√t",
    sheet="α_t = 1/√t satisfies both conditions, whereas α_t = 1/∛t satisfies the first but not the second",
    correct="1/√t fails Σα_t² < ∞ (Σ1/t = ∞), like 1/∛t; α_t = 1/t^p satisfies both iff ½ < p ≤ 1, e.g. 1/t",
    command='dlcalc robbins-monro --alpha "1/sqrt(t)"',
)
_E37 = erratum(
    "E37",
    title="Robbins–Monro 'convergence to a local minimum' (non-convex)",
    sheet="convergence to a local minimum (non-convex)",
    correct="in the non-convex case, convergence to a stationary point (a.s., under further assumptions)",
    command='dlcalc robbins-monro --alpha "1/t"',
)

formula(
    name="robbins-monro",
    section=SECTION,
    catalogue_id="OPT-RM",
    summary="Decide the Robbins–Monro step-size conditions Σα_t = ∞ and Σα_t² < ∞ (exit 1 if not)",
    params=(Param("alpha", TEXT, 'the step size as an expression in t: "1/t", "0.1/t", "1/sqrt(t)", "t**-0.75"'),),
    formula="Σ_t α_t = ∞  and  Σ_t α_t² < ∞;  α_t = t^{−p} satisfies both ⟺ ½ < p ≤ 1",
    latex=r"\sum_t \alpha_t = \infty,\quad \sum_t \alpha_t^2 < \infty",
    compute=robbins_monro,
    uses_sympy=True,
    kind="claim",
    errata=(_E36, _E37),
    examples=(
        ('--alpha "1/t"', "satisfied"),
        ('--alpha "1/sqrt(t)"', "fails: Σ α_t² = ∞ (needs to converge)", "the sheet's example (E36)"),
        ('--alpha "1/t**2"', "fails: Σ α_t = pi**2/6 < ∞ (needs to diverge)"),
    ),
)


# ---- stochastic gradients and gradient flow --------------------------------------------------------


def minibatch_variance(var, batch_size, population):
    batch = batch_size
    if population != -1 and batch > population:
        raise DlcalcError(f"--batch-size ({batch}) cannot exceed --population ({population})")
    value = var / batch
    steps = [f"Var[ḡ_B] = Var[g̃_1]/B = {var!r}/{batch} = {value!r}   (i.i.d. samples: E[ḡ_B] = ∇J, unbiased)"]
    if population != -1:
        correction = (population - batch) / (population - 1) if population > 1 else 0.0
        value *= correction
        steps.append(f"sampling without replacement from N = {population}: × (N − B)/(N − 1) = {correction!r}")
    return Result(value=value, steps=steps)


formula(
    name="minibatch-variance",
    section="11.3",
    catalogue_id="OPT-SGD",
    summary="Variance of a mini-batch gradient (i.i.d., or without replacement from N examples)",
    params=(Param("var", FLOAT, "variance of a single-example gradient (per coordinate)", minimum=0),
            Param("batch-size", INT, "batch size B (--batch is batch mode)", aliases=("B",), minimum=1),
            Param("population", INT, "dataset size N for sampling without replacement", default=-1, minimum=-1)),
    formula="Var[ḡ_B] = Var[g̃_1]/B;  without replacement × (N − B)/(N − 1)",
    latex=r"\mathrm{Var}[\bar g_B] = \frac{\mathrm{Var}[\tilde g_1]}{B}",
    compute=minibatch_variance,
    examples=(("--var 4 --batch-size 16", "0.25"), ("--var 4 --batch-size 10 --population 10", "0.0", "the full batch has no noise")),
)


def gradient_flow(H, x0, T, eta):
    import numpy as np

    h = np.array(H, dtype=float)
    if h.shape != (len(x0), len(x0)) or not np.allclose(h, h.T):
        raise DlcalcError(f"--H must be a symmetric {len(x0)}×{len(x0)} matrix")
    eigenvalues, q = np.linalg.eigh(h)
    start = np.array(x0, dtype=float)
    flow = q @ (np.exp(-eigenvalues * T) * (q.T @ start))  # x(T) = e^{−HT} x0 solves ẋ = −Hx
    steps_count = int(round(T / eta))
    if not math.isclose(steps_count * eta, T, rel_tol=1e-9):
        raise DlcalcError(f"--T ({T}) must be a whole number of steps --eta ({eta})")
    euler = q @ ((1 - eta * eigenvalues) ** steps_count * (q.T @ start))  # GD = forward Euler
    gap = float(np.linalg.norm(flow - euler))
    value = {"flow": rounded(flow), "gd": rounded(euler), "gap": gap}
    return Result(value=value,
                  plain=f"flow={vector_text(flow)} gd={vector_text(euler)} gap={gap!r}",
                  steps=["gradient flow is the ODE ẋ = −∇f(x); for f = ½xᵀHx, x(T) = e^{−HT}x0",
                         f"GD with step η is its forward-Euler discretisation: {steps_count} steps of x ← (I − ηH)x (E33)"])


_E33 = erratum(
    "E33",
    title="gradient flow 'can be seen as the numerical integration of the ODE'",
    sheet="Gradient Flow can be seen as the numerical integration of the ODE ẋ = −∇f(x)",
    correct="gradient flow is that ODE; gradient descent is its explicit (forward) Euler discretisation with step η",
    command="dlcalc gradient-flow --H '[[1,0],[0,10]]' --x0 1,1 --T 1 --eta 0.01",
)

formula(
    name="gradient-flow",
    section="11.3",
    catalogue_id="OPT-FLOW",
    summary="Gradient flow on a quadratic (exact, e^{−HT}x0) against GD, its forward-Euler discretisation",
    params=(Param("H", MATRIX, "the symmetric Hessian H of f = ½xᵀHx"), Param("x0", VECTOR, "the starting point"),
            Param("T", FLOAT, "the time T", minimum=0), Param("eta", FLOAT, "the GD step η (T/η steps)", minimum=1e-300)),
    formula="ẋ = −∇f(x);  x(T) = e^{−HT}x0;  GD: x_{k+1} = x_k − η∇f(x_k) ≈ x(kη)",
    latex=r"\dot x = -\nabla f(x),\quad x_{k+1} = x_k - \eta\nabla f(x_k)",
    compute=gradient_flow,
    errata=(_E33,),
    examples=(("--H '[[1]]' --x0 1 --T 1 --eta 0.5", "flow=0.367879441171 gd=0.25 gap=0.11787944117144233",
               "e^{−1} against (1 − 0.5)²"),),
)
