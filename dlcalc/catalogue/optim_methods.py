"""Optimisers (sheet §11.3 and §14): each command replays a sequence of gradients (one row per step)
and shows each step in a table: SGD with momentum (heavy-ball or Nesterov), RMSProp, Adagrad, Adam (with
its bias correction, E40) and AdamW (decay decoupled from the adaptive step). ``optimise-quadratic``
runs them on f(x) = ½xᵀHx so that their convergence can be watched.
"""

from __future__ import annotations

import math

from dlcalc.catalogue._common import STEPS_BOUNDED, ABSENT, given, rounded, vector_text
from dlcalc.catalogue._optimisers import gradient_rows
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLAG, FLOAT, INT, MATRIX, VECTOR, Param, choice, erratum, formula
from dlcalc.core.result import Result, Table

SECTION = "11.3"




def adaptive_ratio(step, denominator):
    """step / denominator of an adaptive method; 0/0 (a zero gradient with ε = 0) is undefined."""
    if denominator == 0:
        raise DlcalcError("the adaptive denominator is 0 (a zero gradient with --eps 0): use --eps > 0")
    return step / denominator


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


def momentum(grads, theta0, eta, beta, nesterov):
    rows = gradient_rows(grads)
    velocity = [0.0] * len(rows[0])

    def update(t, theta, g):
        nonlocal velocity
        velocity = [beta * v - eta * gi for v, gi in zip(velocity, g)]
        if nesterov:  # the step looks ahead along the new velocity: θ + βv_t − ηg_t
            return [x + beta * v - eta * gi for x, v, gi in zip(theta, velocity, g)], [velocity]
        return [x + v for x, v in zip(theta, velocity)], [velocity]

    return _replay("nesterov momentum" if nesterov else "momentum", rows, _start(theta0, len(rows[0])), update, ["v_t"])


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
            Param("beta", FLOAT, "momentum β in [0, 1)", default=0.9, minimum=0),
            Param("nesterov", FLAG, "Nesterov's look-ahead, as torch.optim.SGD(nesterov=True): θ ← θ + βv − ηg",
                  default=False)),
    formula="v ← βv − η g_t;  θ ← θ + v   (= θ_t − η g_t + β(θ_t − θ_{t−1}));  Nesterov: θ ← θ + βv − η g_t",
    latex=r"v_{t} = \beta v_{t-1} - \eta g_t,\quad \theta_{t} = \theta_{t-1} + v_t\ "
    r"(\text{Nesterov: } \theta_{t} = \theta_{t-1} + \beta v_t - \eta g_t)",
    compute=momentum,
    errata=(_E38,),
    examples=(("--grads '[[1],[1]]' --eta 0.1 --beta 0.5", "-0.25", "v = −0.1 then −0.15"),
              ("--grads '[[1],[1]]' --eta 0.1 --beta 0.5 --nesterov", "-0.325",
               "v = −0.1, θ = −0.05 − 0.1; v = −0.15, θ −= 0.075 + 0.1")),
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
            Param("beta", FLOAT, "decay β of the squared-gradient average, in [0, 1]", default=0.9, minimum=0,
                  maximum=1),
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
    Param("beta1", FLOAT, "first-moment decay β1, in [0, 1]", default=0.9, minimum=0, maximum=1),
    Param("beta2", FLOAT, "second-moment decay β2, in [0, 1]", default=0.999, minimum=0, maximum=1),
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
