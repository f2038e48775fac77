"""Random expression trees from the grammar never crash check-deriv: the only allowed exception
is DlcalcError (bad input), and every computed result is either verified or says it is numeric."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.deriv.check import check_derivative
from dlcalc.core.errors import DlcalcError

LEAVES = st.sampled_from(["x", "y", "A", "B", "alpha", "2", "0.5", "eye(n)"])
UNARY = st.sampled_from(["trace", "det", "logdet", "inv", "log", "exp", "tanh", "sigmoid", "softplus", "relu",
                         "sqrt", "norm", "sum", "softmax", "diag", "-", ".T"])
BINARY = st.sampled_from(["@", "+", "-", "*", "/", "**"])


def _combine(children):
    unary = st.tuples(UNARY, children).map(lambda t: f"({t[1]}).T" if t[0] == ".T" else (f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})"))
    binary = st.tuples(children, BINARY, children).map(lambda t: f"({t[0]}){t[1]}({t[2]})")
    return unary | binary


EXPRESSIONS = st.recursive(LEAVES, _combine, max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS, wrt=st.sampled_from(["x", "A", "alpha"]), claim=st.none() | EXPRESSIONS)
def test_random_expressions_never_crash(expr, wrt, claim):
    try:
        result = check_derivative(expr, wrt, expect=claim, timeout=20)
    except DlcalcError as err:
        assert "\n" not in err.message
        return
    assert result.extra["method"] in ("rules", "componentwise", "numeric")
    assert result.extra["holds"] in (None, True, False)
    if result.extra["method"] == "rules":
        assert result.extra["max_abs_error"] is not None


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet="xAy@+-*/().T0123456789 ,_[]'\"=<>lambdaexp", max_size=40))
def test_random_text_never_crashes_the_parser(text):
    try:
        check_derivative(text, "x", timeout=20)
    except DlcalcError:
        pass
