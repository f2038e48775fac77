"""check-deriv: compute a matrix derivative, verify it, and judge a claimed derivative.

Pipeline: parse (safe, with shape inference) -> closed form by the matrix-calculus rules ->
print it in NumPy syntax -> parse that text back -> compare it with central finite differences on
random instances of several sizes. If the rules fail or disagree: derive component-wise with SymPy
at sizes 2 and 3 (explicit symbolic entries), check that against finite differences at those sizes,
then try to recognise a closed form (fitted from the rejected form's terms, verified on every
instance) or else report the exact entries at the small size (method "componentwise"). If that
fails too, the finite differences alone, labelled "numeric". A claim holds only if it matches the
verified derivative on every instance (instances honour --assume).

SymPy and NumPy are imported inside functions: the CLI imports this module's command at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dlcalc.core.errors import DlcalcError, ExitCode
from dlcalc.core.result import Result
from dlcalc.deriv import ir

LAYOUTS = ("denominator", "numerator")
VALUES_PER_DRAW = 2
MAX_TIMEOUT = 600.0
COMPONENTWISE_SHARE = 0.6  # of --timeout, for the SymPy route; the rest stays for the finite differences
MAX_ORDER = 3  # a third derivative by a vector is a tensor; a fourth would be beyond a tensor's vjp
EXACT_TOLERANCE = 1e-8  # relative, for a claim against a verified symbolic derivative
NUMERIC_TOLERANCE = 1e-5  # relative, for a claim against finite differences alone


@dataclass
class Instance:
    sizes: dict
    values: dict  # name -> array (1, rows, cols)
    derivative: object = None  # the verified derivative here, in the requested layout
    reference: object = None  # finite differences, denominator layout
    closed: object = None  # closed form (or component-wise derivative) evaluated here, denominator layout
    tolerance: float = EXACT_TOLERANCE  # for a claim against ``derivative``
    forced_positive: tuple = ()  # variables drawn positive only to get inside the domain (not assumed)


@dataclass
class Verdict:
    holds: bool | None = None
    reason: str = ""
    counterexample: dict | None = None


@dataclass
class Outcome:
    text: str
    latex: str
    method: str
    max_abs_error: float | None
    instances: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    route: str = ""  # how the answer was obtained, for the "method:" line
    entries: dict | None = None  # component-wise: {"sizes": ..., "entries": nested strings}
    form: object = None  # the verified closed form as shown (the vjp for a tensor), for --emit


def check_derivative(
    expr: str,
    wrt: str,
    *,
    expect: str | None = None,
    shapes: dict[str, str] | None = None,
    assume: dict[str, str] | None = None,
    layout: str = "denominator",
    hessian: bool = False,
    order: int = 1,
    timeout: float = 5.0,
    seed: int = 0,
    emit: str | None = None,
) -> Result:
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise DlcalcError(f"--order must be 1, 2 or {MAX_ORDER}, not {str(order)[:20]}")
    if hessian and order not in (1, 2):
        raise DlcalcError("--hessian is --order 2; give one of them")
    hessian = hessian or order
    if emit not in (None, "numpy"):
        raise DlcalcError(f"--emit must be numpy, not {str(emit)[:60]!r}")
    if layout not in LAYOUTS:
        raise DlcalcError(f"--layout must be denominator or numerator, not {layout!r}")
    if not (0 < timeout <= MAX_TIMEOUT):
        raise DlcalcError(f"--timeout must be between 0 and {MAX_TIMEOUT:g} seconds")
    from dlcalc.core.deadline import Budget, run_with_deadline

    def work():
        budget = Budget(COMPONENTWISE_SHARE * timeout)
        return _check(expr, wrt, expect, shapes or {}, assume or {}, layout, hessian, seed, budget, emit)

    return run_with_deadline(work, timeout)


def _check(expr, wrt, expect, shapes, assume, layout, hessian, seed, budget, emit=None) -> Result:
    from dlcalc.deriv.parser import ShapeEnv

    env = ShapeEnv(shapes, assume)
    raw = env.parse(expr)
    if not isinstance(wrt, str) or not re.fullmatch(r"[^\W\d]\w*", wrt.strip()):
        raise DlcalcError(f"--wrt must be a variable name, not {wrt!r}")
    wrt = wrt.strip()
    x_raw_shape = env.declare_variable(wrt)
    _check_declared_names(env, shapes, assume)
    order = 1 if hessian is False else 2 if hessian is True else hessian
    problem = _classify(env, raw, wrt, x_raw_shape, order >= 2)
    if problem.kind == "gradient" and order == 2:  # by a matrix: the derivative of the verified gradient
        problem = _derivative_as_expression(env, problem, seed, budget, "--hessian by a matrix")
    if order == 3:
        if problem.kind != "hessian":
            raise DlcalcError(f"--order 3 needs a vector variable ({wrt} is a matrix: at most --order 2)")
        problem = _derivative_as_expression(env, problem, seed, budget, "--order 3")
    higher = order >= 2 and problem.kind == "tensor"  # the derivative of a verified lower derivative
    outcome = _derive(env, problem, layout, seed, budget, "the lower derivative" if higher else "the expression")
    if higher:
        from dlcalc.deriv.to_numpy_syntax import to_numpy

        what = "the Hessian by a matrix: T[i,j,k,l] = ∂²f/∂{x}[i,j]∂{x}[k,l]" if order == 2 else "the third derivative: T[i,j,k] = ∂³f/∂{x}_i∂{x}_j∂{x}_k"
        outcome.notes.insert(0, f"{what.format(x=wrt)}, the derivative of the verified Y = {to_numpy(problem.f)}")
    hessian = order >= 2
    verdict = Verdict()
    if expect is not None:
        verdict = _judge(env, problem, layout, expect, outcome)
    result = _result(expr, wrt, expect, shapes, assume, layout, hessian, problem, outcome, verdict)
    result.inputs["order"] = order  # "hessian" alone cannot tell --order 3 from 2
    if emit:
        _attach_code(result, _code(env, _emitted_value_text(expr, problem, order), problem, layout, outcome))
    return result


def _derivative_as_expression(env, problem, seed, budget, what: str):
    """A higher derivative as the derivative of a lower one: the Hessian of a scalar by a matrix X
    is the derivative of its gradient by X (a tensor H[i,j,k,l] = ∂²f/∂X[i,j]∂X[k,l]); the third
    derivative by a vector that of the Hessian (T[i,j,k]). The lower derivative is derived and
    verified first; its closed form is then differentiated like any matrix expression (and verified
    against finite differences of it)."""
    from dlcalc.deriv.derivative import classify

    gradient = _derive(env, problem, "denominator", seed, budget)
    if gradient.method != "rules":
        raise DlcalcError(f"{what} needs a verified closed form of the lower derivative, and none was found")
    taken = set(env.var_shapes) | set(env.all_dims())
    return classify(gradient.form, problem.wrt, problem.x_shape, False, taken)


def _emitted_value_text(expr: str, problem, order: int) -> str:
    """What the emitted function's ``value`` is: the expression, or for a derivative taken as the
    derivative of a lower one (--hessian by a matrix, --order 3) that lower derivative Y."""
    if order == 1 or problem.kind != "tensor":
        return expr
    from dlcalc.deriv.to_numpy_syntax import to_numpy

    lower = "gradient" if order == 2 else "Hessian"
    return f"Y = {to_numpy(problem.f)} (the verified {lower} of {expr})"


def _code(env, expr, problem, layout, outcome) -> str | None:
    """The --emit numpy source for a verified closed form (None for the fallback routes)."""
    from dlcalc.deriv.emit_numpy import emit_numpy

    if outcome.form is None:
        return None
    variables = {name: env.resolve_shape(shape) for name, shape in env.var_shapes.items()}
    seed = problem.seed if problem.kind == "tensor" else None
    return emit_numpy(expr, problem.f, outcome.form, problem.wrt, variables, _layout_text(problem, layout), seed)


def _attach_code(result: Result, code: str | None) -> None:
    """--emit numpy: the code is what a pipe gets, and the JSON field ``code``."""
    result.extra["code"] = code
    if code is None:
        result.warnings.append("no verified closed form, so no code was generated")
        return
    if result.extra["holds"] is None:
        result.plain = code.rstrip("\n")
    result.steps.append("code:\n" + code.rstrip("\n"))


def _check_declared_names(env, shapes: dict, assume: dict) -> None:
    for option, names in (("--shape", shapes), ("--assume", assume)):
        for name in names:
            if name not in env.var_shapes:
                raise DlcalcError(f"{option} {name}=...: {name} does not occur in the expression")


def _classify(env, raw, wrt, x_raw_shape, hessian):
    from dlcalc.deriv.derivative import classify
    from dlcalc.core.safe_ast import format_shape

    f = env.finish(raw)
    x_shape = env.resolve_shape(x_raw_shape)
    if hessian and not f.is_scalar:
        raise DlcalcError(
            f"--hessian needs a scalar expression (the expression is {format_shape(f.shape)}, "
            f"{wrt} is {format_shape(x_shape)})"
        )
    taken = set(env.var_shapes) | set(env.all_dims())
    return classify(f, wrt, x_shape, hessian and x_shape[1] == 1, taken)


# --- deriving and verifying -------------------------------------------------------------------


def _derive(env, problem, layout, seed, budget, subject: str = "the expression") -> Outcome:
    import numpy as np

    from dlcalc.deriv.derivative import closed_form, in_layout
    from dlcalc.deriv.matrixcalc import Unsupported
    from dlcalc.deriv.to_numpy_syntax import to_numpy

    env.freeze()  # the printed derivative must not change the expression's dimensions
    rng = np.random.default_rng(seed)
    instances = _draw_instances(env, problem, rng)
    notes = []
    if not ir.contains(problem.f, problem.wrt):
        notes.append(f"{problem.wrt} does not occur in {subject}; the derivative is 0")
    try:
        closed = closed_form(problem)
        shown = in_layout(closed, problem, layout)
        text = to_numpy(shown)
        checked = _reparse(env, problem, text)
    except Unsupported as err:
        closed = checked = None
        notes.append(f"no closed form from the matrix-calculus rules ({err})")
    if checked is not None:
        error = _compare_closed(problem, checked, instances, layout)
        if error is not None:
            return _closed_outcome(problem, layout, closed, shown, text, "rules", error, instances, notes)
        notes.append("the rules' closed form disagreed with finite differences; it is not shown")
    return _fallback(env, problem, layout, instances, notes, closed, rng, budget)


def _closed_outcome(problem, layout, closed, shown, text, method, error, instances, notes, route="") -> Outcome:
    """A verified closed form: every instance's derivative is the closed form's value there."""
    from dlcalc.deriv.to_latex import to_latex

    text_out = _tensor_text(problem, closed, instances) if problem.kind == "tensor" else text
    for inst in instances:
        inst.derivative = _to_layout(inst.closed, problem, layout)
    return Outcome(text_out, to_latex(shown), method, error, instances, notes, route, form=shown)


def _reparse(env, problem, text: str):
    """Parse the printed derivative back, so that what is verified is exactly what is shown."""
    from dlcalc.deriv.parser import ClaimShapeError

    seeded = problem.kind == "tensor"
    if seeded:  # the vjp's seed G is a variable of the printed form only
        env.var_shapes[problem.seed] = tuple(env.dim_for_name(d) for d in problem.f.shape)
    try:
        node = env.parse(text, what="derivative", claim=True)
        return env.finish(node)
    except (DlcalcError, ClaimShapeError):
        return None
    finally:
        if seeded:
            del env.var_shapes[problem.seed]


def _to_layout(value, problem, layout):
    from dlcalc.deriv.derivative import transposed

    if value is None:
        return None
    if transposed(problem.kind, layout):
        return value.T
    return value


def _draw_instances(env, problem, rng, draws=None) -> list:
    """VALUES_PER_DRAW instances for each draw of sizes (default: random sizes), each with its
    finite-difference derivative; sizes whose domain is empty are skipped."""
    from dlcalc.deriv.instances import dimension_draws

    hints = _domain_hints(problem.f)
    instances = []
    failure = None
    for sizes in draws if draws is not None else dimension_draws(env.all_dims(), rng):
        try:  # some sizes have an empty domain (det of a rank-deficient product): skip them
            instances.extend(_instances_at(env, problem, sizes, hints, rng))
        except DlcalcError as err:
            failure = err
    if not instances:
        raise failure
    return instances


def _instances_at(env, problem, sizes, hints, rng) -> list:
    from dlcalc.deriv.bounds import check_evaluation, full_differences

    cost = check_evaluation(problem.f, sizes, _sizes_text(sizes))
    full = full_differences(problem, sizes, cost)
    instances = []
    for _ in range(VALUES_PER_DRAW):
        values, forced = _values_in_domain(env, problem.f, sizes, hints, rng)
        inst = Instance(sizes, values, forced_positive=forced)
        inst.reference = _finite_differences(problem, inst) if full else _directional_differences(problem, inst, rng)
        instances.append(inst)
    return instances


@dataclass
class Directional:
    """Finite differences along random directions v (for a variable too large for the full
    Jacobian): ``slopes[i]`` ≈ the derivative applied to ``directions[i]``."""

    directions: object  # (k, rows, cols)
    slopes: object  # (k, p, q)

    def error(self, problem, value) -> float:
        """Max |derivative applied to v - finite difference| over the directions."""
        import numpy as np

        value = np.asarray(value, dtype=float)
        worst = 0.0
        for v, slope in zip(self.directions, self.slopes):
            if problem.kind == "gradient":
                applied = np.sum(value * v)
            else:  # jacobian, denominator layout (n, m): J v = value.T @ v
                applied = value.T @ v.reshape(-1)
            worst = max(worst, _difference(np.reshape(applied, -1), np.reshape(slope, -1)))
        return worst

    def scale(self) -> float:
        return _scale(self.slopes)


def _directional_differences(problem, inst: Instance, rng) -> Directional:
    from dlcalc.deriv.bounds import DIRECTIONS
    from dlcalc.deriv.evaluate import evaluate
    from dlcalc.deriv.finite_diff import directional

    def fn(points):
        return evaluate(problem.f, {**inst.values, problem.wrt: points}, inst.sizes)

    x0 = inst.values[problem.wrt][0]
    directions = rng.standard_normal((DIRECTIONS,) + x0.shape)
    return Directional(directions, directional(fn, x0, directions))


def _values_in_domain(env, f, sizes, hints, rng, nice=False) -> tuple:
    """(values for every variable, honouring --assume as normalised by the env, redrawn until the
    expression is well inside its domain; the names drawn positive only to get there)."""
    from dlcalc.deriv.instances import draw
    from dlcalc.deriv.evaluate import DomainViolation, evaluate

    import numpy as np

    last = ""
    for attempt in range(40):
        positive = attempt >= 20  # second half: try every unconstrained variable positive
        values, forced = {}, []
        for name, shape in env.var_shapes.items():
            concrete = ir.concrete_shape(env.resolve_shape(shape), sizes)
            prop = env.assume.get(name) or hints.get(name)
            if prop is None and positive:
                prop = "positive"
                forced.append(name)
            values[name] = draw(concrete, prop, rng, nice=nice)
        try:
            value = evaluate(f, values, sizes, check=True)
        except DomainViolation as err:
            last = str(err)
            continue
        if np.all(np.isfinite(value)) and np.max(np.abs(value)) < 1e8:
            return values, tuple(forced)
        last = "non-finite or huge values"
    raise DlcalcError(f"could not draw a point inside the domain of the expression ({last}); add --assume")


def _domain_hints(f) -> dict:
    """Properties that keep a bare variable inside its function's domain: log(x) -> positive ...
    (an --assume property takes precedence: see _values_in_domain)."""
    hints: dict = {}
    stack = [f]
    while stack:
        node = stack.pop()
        stack.extend(ir.children(node))
        if isinstance(node, ir.Func) and isinstance(node.arg, ir.Var):
            name = node.arg.name
            if node.name in ("log", "sqrt"):
                hints.setdefault(name, "positive")
            elif node.name == "logdet":
                hints[name] = "posdet"
            elif node.name in ("inv", "det"):
                hints.setdefault(name, "invertible")
        if isinstance(node, ir.Func) and node.name == "log" and isinstance(node.arg, ir.Func):
            inner = node.arg
            if inner.name == "det" and isinstance(inner.arg, ir.Var):
                hints[inner.arg.name] = "posdet"
        if isinstance(node, ir.Pow) and isinstance(node.base, ir.Var) and isinstance(node.exp, ir.Num):
            if node.exp.value.denominator != 1:
                hints.setdefault(node.base.name, "positive")
    return hints


def _finite_differences(problem, inst: Instance):
    """The derivative by central differences, in denominator layout (tensor: T[i,j,k,l])."""
    from dlcalc.deriv.finite_diff import hessian, jacobian
    from dlcalc.deriv.evaluate import evaluate

    def fn(points):
        return evaluate(problem.f, {**inst.values, problem.wrt: points}, inst.sizes)

    x0 = inst.values[problem.wrt][0]
    if problem.kind == "hessian":
        return hessian(fn, x0)
    jac = jacobian(fn, x0)
    if problem.kind == "gradient":
        return jac[0, 0]
    if problem.kind == "jacobian":
        m = jac.shape[0] * jac.shape[1]
        return jac.reshape(m, x0.size).T
    if problem.kind == "by_scalar":
        return jac[:, :, 0, 0]
    return jac


def _evaluate_closed(problem, node, inst: Instance):
    """The closed form at an instance, in denominator layout (tensors: one vjp per basis seed)."""
    import numpy as np

    from dlcalc.deriv.evaluate import evaluate

    if problem.kind != "tensor":
        return evaluate(node, inst.values, inst.sizes)[0]
    p, q = ir.concrete_shape(problem.f.shape, inst.sizes)
    basis = np.eye(p * q).reshape(p * q, p, q)
    out = evaluate(node, {**inst.values, problem.seed: basis}, inst.sizes)
    x_shape = inst.values[problem.wrt].shape[1:]  # a constant vjp (0) broadcasts to x's shape
    return np.broadcast_to(out, (p * q,) + x_shape).reshape((p, q) + x_shape)


def _tolerance(problem) -> float:
    return 1e-4 if problem.kind == "hessian" else 1e-6


def _compare_closed(problem, node, instances, layout, *, against="reference", tolerance=None) -> float | None:
    """Max |closed - the instances' ``against`` values| (finite differences by default) if they
    agree on every instance, else None. Only then is each instance's ``closed`` value set."""
    values = []
    for inst in instances:
        try:
            value = _to_layout(_evaluate_closed(problem, node, inst), problem, layout)  # back to denominator
        except Exception:  # a closed form that cannot be evaluated is not verified
            return None
        values.append(value)
    worst = _agreement(problem, values, [getattr(inst, against) for inst in instances], tolerance)
    if worst is not None:
        for inst, value in zip(instances, values):
            inst.closed = value
    return worst


def _agreement(problem, values, references, tolerance=None) -> float | None:
    """Max |value - reference| over the pairs if every pair agrees to the tolerance, else None."""
    tolerance = _tolerance(problem) if tolerance is None else tolerance
    worst = 0.0
    for value, reference in zip(values, references):
        if isinstance(reference, Directional):
            error, scale = reference.error(problem, value), reference.scale()
        else:
            error, scale = _difference(value, reference), _scale(reference)
        if error > tolerance * scale:
            return None
        worst = max(worst, error)
    return worst


def _difference(value, reference) -> float:
    """Max |value - reference| (a 1-entry value broadcasts); inf if the shapes differ or the value
    is not finite."""
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.shape != reference.shape and value.size == 1:
        value = np.broadcast_to(value, reference.shape)
    if value.shape != reference.shape or not np.all(np.isfinite(value)):
        return float("inf")
    return float(np.max(np.abs(value - reference))) if value.size else 0.0


def _scale(reference) -> float:
    """What a tolerance is relative to: the largest |entry|, at least 1."""
    import numpy as np

    return max(1.0, float(np.max(np.abs(reference), initial=0.0)))


# --- the fallback: component-wise with SymPy, then finite differences alone ---------------------


def _fallback(env, problem, layout, instances, notes, rejected, rng, budget) -> Outcome:
    """The rules failed or disagreed. Derive component-wise (checked against finite differences),
    recognise a closed form if one fits, else give the exact entries at the smallest size."""
    if any(isinstance(inst.reference, Directional) for inst in instances):
        raise DlcalcError(
            f"no closed form could be verified, and {problem.wrt} is too large here for a derivative by "
            "finite differences alone (see the limits in check-deriv --help); try smaller sizes"
        )
    from dlcalc.deriv.componentwise import ComponentwiseFailed

    try:
        derivations, exact = _componentwise(env, problem, rng, budget, notes)
    except ComponentwiseFailed as err:
        notes.append(f"no component-wise derivation either ({err})")
        return _numeric_only(problem, layout, instances, notes)
    general = _generalise(env, problem, layout, rejected, derivations, exact, instances, notes)
    return general or _explicit(problem, layout, derivations, exact, instances, notes)


def _componentwise(env, problem, rng, budget, notes):
    """Exact derivatives at sizes 2 and 3, each agreeing with finite differences at fresh random
    points of that size (so SymPy is never trusted alone). If the second size is too large or too
    slow, the first is used alone. Raises ComponentwiseFailed."""
    from dlcalc.deriv.instances import componentwise_draws
    from dlcalc.deriv.componentwise import ComponentwiseFailed, ComponentwiseTooCostly
    from dlcalc.core.deadline import OutOfTime, run_within

    derivations, exact = [], []
    for sizes in componentwise_draws(env.all_dims()):
        try:
            found = run_within(budget, lambda: _componentwise_at(env, problem, sizes, rng, budget))
        except (OutOfTime, ComponentwiseTooCostly) as err:
            if not derivations:
                raise ComponentwiseFailed(str(err)) from None
            notes.append(f"no component-wise derivation at {_sizes_text(sizes)} ({err}); only smaller sizes are used")
            break
        if found is not None:
            derivations.append(found[0])
            exact.extend(found[1])
    if not exact:
        raise ComponentwiseFailed("no point inside the domain at sizes 2 and 3")
    return derivations, exact


def _componentwise_at(env, problem, sizes, rng, budget):
    """(the exact derivative at ``sizes``, instances there holding its values), or None if the
    domain is empty at these sizes. Raises ComponentwiseFailed if it disagrees with finite differences."""
    from dlcalc.deriv.componentwise import ComponentwiseFailed, derive

    try:
        drawn = _draw_instances(env, problem, rng, draws=[sizes])
    except DlcalcError:
        return None
    derivation = derive(problem, sizes, budget)
    values = [_exact_value(derivation, inst) for inst in drawn]
    if _agreement(problem, values, [inst.reference for inst in drawn]) is None:
        raise ComponentwiseFailed(f"it disagreed with finite differences at {_sizes_text(sizes)}")
    for inst, value in zip(drawn, values):
        inst.closed = value
    return derivation, drawn


def _exact_value(derivation, inst: Instance):
    import numpy as np

    with np.errstate(all="ignore"):
        try:
            return derivation.evaluate(inst.values)
        except (ArithmeticError, ValueError, TypeError):
            return np.array(np.nan)


def _generalise(env, problem, layout, rejected, derivations, exact, instances, notes) -> Outcome | None:
    """A closed form fitted to the component-wise derivative from the rejected form's terms (and
    small edits of them), printed, parsed back and verified against both the exact values and the
    finite differences on every instance; None if nothing fits."""
    from dlcalc.deriv.componentwise import candidate_terms
    from dlcalc.deriv.derivative import in_layout
    from dlcalc.deriv.to_numpy_syntax import to_numpy

    symbolic_zero = all(entry == 0 for d in derivations for entry in _flat_entries(d.entries))
    candidate = _fitted(problem, candidate_terms(problem, rejected), exact, symbolic_zero)
    if candidate is None:
        return None
    shown = in_layout(candidate, problem, layout)
    text = to_numpy(shown)
    checked = _reparse(env, problem, text)
    if checked is None or _compare_closed(problem, checked, exact, layout, against="closed", tolerance=EXACT_TOLERANCE) is None:
        return None
    error = _compare_closed(problem, checked, instances + exact, layout)
    if error is None:
        return None
    sizes = " and ".join(_sizes_text(d.sizes) for d in derivations)
    route = (f"closed form recognised from a component-wise SymPy derivation at {sizes}, verified against "
             f"central finite differences on {len(instances) + len(exact)} random instances "
             f"(max |difference| {error:.1e})")
    return _closed_outcome(problem, layout, candidate, shown, text, "componentwise", error, instances + exact, notes, route)


def _flat_entries(entries) -> list:
    import sympy

    return list(sympy.flatten(entries.tolist()))


def _fitted(problem, basis: list, exact: list, symbolic_zero: bool = True):
    """The combination of ``basis`` with small rational coefficients that matches the exact
    component-wise values, simplified; None if there is none."""
    import numpy as np

    from dlcalc.deriv.componentwise import fit_rational
    from dlcalc.deriv.derivative import zero_form
    from dlcalc.deriv.simplify import simplify

    if not any(np.any(inst.closed) for inst in exact):
        return zero_form(problem) if symbolic_zero else None  # 0 by underflow is not a derivative of 0
    if not basis:
        return None
    try:  # a candidate that is a constant broadcasts to the derivative's shape
        columns = [[np.broadcast_to(_evaluate_closed(problem, term, inst), np.shape(inst.closed)) for inst in exact]
                   for term in basis]
    except Exception:  # a candidate that cannot be evaluated is not a candidate
        return None
    coefficients = fit_rational(columns, [inst.closed for inst in exact])
    if coefficients is None:
        return None
    parts = [ir.mul(ir.num(c), term) for c, term in zip(coefficients, basis) if c != 0]
    return simplify(ir.add(*parts)) if parts else zero_form(problem)


def _explicit(problem, layout, derivations, exact, instances, notes) -> Outcome:
    """No closed form: the exact entries at the smallest size. Claims are checked against the exact
    values at sizes 2 and 3 and, more loosely, against finite differences at the other sizes."""
    from dlcalc.deriv.componentwise import short_text

    for inst in exact:
        inst.derivative = _to_layout(inst.closed, problem, layout)
    _use_finite_differences(problem, layout, instances)
    smallest = derivations[0]
    sizes = _sizes_text(smallest.sizes)
    all_sizes = " and ".join(_sizes_text(d.sizes) for d in derivations)
    error = _agreement(problem, [inst.closed for inst in exact], [inst.reference for inst in exact])
    notes.append(f"no general closed form was found: the derivative is given entry by entry at {sizes}")
    text = f"component-wise at {sizes}: {short_text(smallest.text(layout))}"
    route = (f"component-wise SymPy derivation (exact) at {all_sizes}, verified against central finite "
             f"differences there (max |difference| {error:.1e}); no general closed form found")
    entries = {"sizes": dict(smallest.sizes), "entries": smallest.entry_strings(layout)}
    return Outcome(text, smallest.latex(layout), "componentwise", error, exact + instances, notes, route, entries)


def _use_finite_differences(problem, layout, instances) -> None:
    for inst in instances:
        inst.derivative = _to_layout(inst.reference, problem, layout)
        inst.tolerance = NUMERIC_TOLERANCE


def _numeric_only(problem, layout, instances, notes) -> Outcome:
    """No verified symbolic answer: the finite differences at the smallest instance, labelled so."""
    _use_finite_differences(problem, layout, instances)
    small = min(instances, key=lambda i: sum(v.size for v in i.values.values()))
    text = f"numeric only (finite differences at {_sizes_text(small.sizes)}): {_format_array(small.derivative)}"
    return Outcome(text, "", "numeric", None, instances, notes)


def _sizes_text(sizes: dict) -> str:
    return ", ".join(f"{d}={s}" for d, s in sizes.items()) or "the given sizes"


# --- claims -----------------------------------------------------------------------------------


def _judge(env, problem, layout, expect, outcome: Outcome) -> Verdict:
    from dlcalc.core.safe_ast import format_shape
    from dlcalc.deriv.parser import ClaimShapeError

    env.freeze()
    target = problem.layout_shape(layout)
    try:
        raw = env.parse(expect, what="claim", claim=True)
    except ClaimShapeError as err:
        return Verdict(False, f"the claim only has a shape if dimensions are equal ({err})")
    zero_claim = isinstance(raw, ir.Num) and raw.value == 0
    if problem.kind == "tensor" and not zero_claim:
        return Verdict(False, f"the derivative is a tensor of shape {format_shape(target)}; the claim is {format_shape(env.resolve_shape(raw.shape))}")
    if not zero_claim and not env.unify_shapes(raw.shape, tuple(env.dim_for_name(d) for d in target)):
        return Verdict(False, f"the claim is {format_shape(env.resolve_shape(raw.shape))} but the derivative is {format_shape(target)} ({layout} layout)")
    claim = env.finish(raw)
    return _compare_claim(env, problem, layout, claim, outcome)


def _compare_claim(env, problem, layout, claim, outcome: Outcome) -> Verdict:
    for inst in outcome.instances:
        difference = _claim_difference(claim, inst)
        if difference is not None:
            example = _nice_counterexample(env, problem, layout, claim, outcome) or _counterexample(inst, claim, difference)
            return Verdict(False, "", example)
    forced = sorted({name for inst in outcome.instances for name in inst.forced_positive})
    if all(inst.forced_positive for inst in outcome.instances):  # a claim right only for positive values would hold
        names = ", ".join(forced)
        raise DlcalcError(
            f"the claim could only be checked with {names} positive (random values rarely fall inside "
            f"the expression's domain); say what holds with --assume, e.g. --assume {forced[0]}=positive"
        )
    return Verdict(True)


def _claim_difference(claim, inst: Instance):
    """None if the claim matches the derivative at this instance, else max |difference| (inf if undefined)."""
    from dlcalc.deriv.evaluate import evaluate

    try:
        value = evaluate(claim, inst.values, inst.sizes)[0]
    except Exception:
        return float("inf")
    difference = _difference(value, inst.derivative)
    if difference <= inst.tolerance * _scale(inst.derivative):
        return None
    return difference


def _nice_counterexample(env, problem, layout, claim, outcome: Outcome):
    """A counterexample with the smallest sizes and small integer values, when one exists."""
    import numpy as np

    from dlcalc.deriv.instances import small_draw
    from dlcalc.deriv.derivative import closed_form

    if outcome.method != "rules" or any(isinstance(inst.reference, Directional) for inst in outcome.instances):
        return None
    rng = np.random.default_rng(12345)
    sizes = small_draw(env.all_dims())
    hints = _domain_hints(problem.f)
    form = closed_form(problem)
    for _ in range(5):
        try:
            values, _ = _values_in_domain(env, problem.f, sizes, hints, rng, nice=True)
        except DlcalcError:
            return None
        inst = Instance(sizes, values)
        inst.reference = _finite_differences(problem, inst)
        closed = _evaluate_closed(problem, form, inst)
        if np.max(np.abs(closed - inst.reference)) > 1e-4 * _scale(closed):
            return None
        inst.derivative = _to_layout(closed, problem, layout)
        difference = _claim_difference(claim, inst)
        if difference is not None:
            return _counterexample(inst, claim, difference)
    return None


def _counterexample(inst: Instance, claim, difference: float) -> dict:
    import numpy as np

    from dlcalc.deriv.evaluate import evaluate

    try:
        claimed = _to_list(np.broadcast_to(evaluate(claim, inst.values, inst.sizes)[0], inst.derivative.shape))
    except Exception:
        claimed = None
    return {
        "dims": dict(inst.sizes),
        "values": {name: _to_list(v[0]) for name, v in inst.values.items()},
        "derivative": _to_list(inst.derivative),
        "claim": claimed,
        "max_abs_difference": difference if difference != float("inf") else None,
    }


def _to_list(array):
    """Arrays for JSON: a column vector as a flat list, a 1x1 as a number, rounded for reading."""
    import numpy as np

    a = np.round(np.asarray(array, dtype=float), 12) + 0.0
    if a.ndim == 2 and a.shape == (1, 1):
        return float(a[0, 0])
    if a.ndim == 2 and a.shape[1] == 1:
        return a[:, 0].tolist()
    return a.tolist()


def _format_array(array) -> str:
    return _format_value(_to_list(array))


MAX_SHOWN = 8  # entries of a long vector or matrix shown in a one-line message


def _format_value(value) -> str:
    if isinstance(value, list):
        shown = ", ".join(_format_value(v) for v in value[:MAX_SHOWN])
        more = f", … ({len(value)} in all)" if len(value) > MAX_SHOWN else ""
        return "[" + shown + more + "]"
    if value is None:
        return "undefined"
    return f"{value:.4g}"


def _tensor_text(problem, closed, instances) -> str:
    from dlcalc.deriv.index_form import index_form, vec_parts, vec_text
    from dlcalc.deriv.to_numpy_syntax import to_numpy

    indexed = index_form(problem, closed)
    vjp = f"{problem.seed} -> {to_numpy(closed)}"
    parts = vec_parts(problem, closed)
    if parts is not None and _vec_form_holds(parts, instances):
        vjp += f"; {vec_text(problem, parts)}"
    return f"{indexed}; vjp: {vjp}" if indexed else f"vjp: {vjp}"


def _vec_form_holds(parts, instances) -> bool:
    """The Kronecker form, evaluated, equals the verified tensor reshaped to ∂vec(Y)/∂vec(X)."""
    import numpy as np

    from dlcalc.deriv.evaluate import evaluate

    for inst in instances:
        p, q, r, c = inst.closed.shape
        jacobian = inst.closed.transpose(1, 0, 3, 2).reshape(p * q, r * c)
        try:
            kron = sum(evaluate(scale, inst.values, inst.sizes)[0, 0, 0]
                       * np.kron(evaluate(right, inst.values, inst.sizes)[0], evaluate(left_t, inst.values, inst.sizes)[0])
                       for scale, right, left_t in parts)
        except Exception:  # a part that cannot be evaluated is not shown
            return False
        if _difference(kron, jacobian) > EXACT_TOLERANCE * _scale(jacobian):
            return False
    return True


# --- the result -------------------------------------------------------------------------------


_LAYOUT_TEXT = {
    ("by_scalar", "denominator"): "a matrix by a scalar: [i,j] = ∂Y[i,j]/∂{x}, shaped like the expression (both layouts)",
    ("by_scalar", "numerator"): "a matrix by a scalar: [i,j] = ∂Y[i,j]/∂{x}, shaped like the expression (both layouts)",
    ("gradient", "denominator"): "denominator layout: the gradient, shaped like {x}",
    ("gradient", "numerator"): "numerator layout: the transpose of the gradient",
    ("jacobian", "denominator"): "denominator layout: [i,j] = ∂y_j/∂{x}_i (Jᵀ)",
    ("jacobian", "numerator"): "numerator layout: the Jacobian J[i,j] = ∂y_i/∂{x}_j",
    ("hessian", "denominator"): "Hessian H[i,j] = ∂²f/∂{x}_i∂{x}_j (the same in both layouts)",
    ("hessian", "numerator"): "Hessian H[i,j] = ∂²f/∂{x}_i∂{x}_j (the same in both layouts)",
}


def _layout_text(problem, layout) -> str:
    if problem.kind == "tensor":
        return "index notation: T[i,j,k,l] = ∂Y[i,j]/∂X[k,l] (sheet §18); vjp: G ↦ ∂<G, Y>/∂X"
    return _LAYOUT_TEXT[(problem.kind, layout)].format(x=problem.wrt)


def _method_text(outcome: Outcome) -> str:
    count = len(outcome.instances)
    if outcome.route:
        return outcome.route
    if outcome.method == "rules":
        return (f"matrix-calculus rules, verified against central finite differences on {count} random "
                f"instances (max |difference| {outcome.max_abs_error:.1e})")
    return "finite differences only: no closed form could be verified"


def _result(expr, wrt, expect, shapes, assume, layout, hessian, problem, outcome, verdict) -> Result:
    from dlcalc.core.safe_ast import format_shape

    shape = list(problem.layout_shape(layout))
    steps = [
        f"d/d{wrt} [{expr}] = {outcome.text}",
        f"layout: {_layout_text(problem, layout)}; shape {format_shape(shape)}",
        f"method: {_method_text(outcome)}",
    ]
    if expect is None:
        plain = outcome.text
    elif verdict.holds:
        plain = "holds"
        steps.append(f"claim {expect}: holds on every instance" + _assume_text(assume))
    else:
        plain = "refuted: " + (verdict.reason or _counterexample_text(verdict.counterexample, outcome.text))
        steps.append(f"claim {expect}: {plain}")
    warnings = list(outcome.notes)
    extra = {
        "expr": expr,
        "wrt": wrt,
        "layout": layout,
        "shape": shape,
        "derivative": outcome.text,
        "latex": outcome.latex,
        "holds": verdict.holds,
        "method": outcome.method,
        "max_abs_error": outcome.max_abs_error,
        "counterexample": verdict.counterexample,
        "componentwise": outcome.entries,
    }
    if verdict.reason:
        extra["reason"] = verdict.reason
    return Result(
        name="check-deriv",
        inputs={"expr": expr, "wrt": wrt, "expect": expect, "shape": shapes, "assume": assume, "layout": layout, "hessian": hessian},
        value=outcome.text,
        plain=plain,
        steps=steps,
        warnings=warnings,
        extra=extra,
        latex=outcome.latex or None,
        exit_code=ExitCode.REFUTED if verdict.holds is False else ExitCode.OK,
    )


def _assume_text(assume: dict) -> str:
    return f" with {', '.join(f'{k}={v}' for k, v in assume.items())}" if assume else ""


def _counterexample_text(example: dict, derivative: str) -> str:
    dims = ", ".join(f"{d}={s}" for d, s in example["dims"].items())
    values = ", ".join(f"{name}={_format_value(v)}" for name, v in example["values"].items())
    where = f"{dims}, {values}" if dims else values
    diff = example["max_abs_difference"]
    diff_text = f"max |difference| {diff:.4g}" if diff is not None else "the claim is undefined there"
    return (f"the derivative is {derivative}; at {where}: derivative {_format_value(example['derivative'])}, "
            f"claim {_format_value(example['claim'])} ({diff_text})")
