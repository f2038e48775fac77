"""The ``check-deriv`` command: a thin layer over ``dlcalc.deriv.check_derivative``.

Imported when the app is built, so it imports neither SymPy nor NumPy (the core does, lazily).
"""

from __future__ import annotations

from typing import List, Optional

import typer

from dlcalc.core.sections import section_title
from dlcalc.core.errors import DlcalcError

HELP = """Compute a matrix derivative and check it, or check a claimed derivative.

EXPR and --expect use NumPy syntax with broadcasting: @ * / + - ** .T and trace det logdet inv diag
sum mean norm softmax eye ones, elementwise log exp sqrt tanh sigmoid softplus relu sin cos tan arcsin
arccos arctan abs sign (subgradient 0 at kinks); sum/mean/softmax(X, axis=0|1|-1|-2), norm(x, 1|2),
norm(X, 'fro').
A single lowercase letter is a column vector, an uppercase letter a matrix, a Greek name a scalar,
unless --shape says otherwise. Every answer is verified against finite differences on random
instances; the output names its layout and method. Limits: sizes of at most 4 digits, one
evaluation at most 5e7 operations, a Hessian or tensor at most 250,000 entries and 5e6
operations of finite differences.

Exit status: 0 derivative computed or claim holds, 1 claim refuted, 2 bad input."""

EPILOG = """Examples:

  dlcalc check-deriv "x.T@A@x" --wrt x                                  ->  (A + A.T)@x

  dlcalc check-deriv "x.T@A@x" --wrt x --expect "2*A@x"                 ->  refuted: ...

  dlcalc check-deriv "x.T@A@x" --wrt x --expect "2*A@x" --assume A=symmetric  ->  holds

  dlcalc check-deriv "inv(A + alpha*B)" --wrt alpha                     ->  -inv(A + alpha*B)@B@inv(A + alpha*B)"""


def parse_pairs(items: Optional[List[str]], option: str, what: str) -> dict:
    """``["x=n", "A=m,n"]`` -> ``{"x": "n", "A": "m,n"}``; a repeated name is an error."""
    pairs: dict = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise DlcalcError(f"{option} expects NAME={what}, got {item!r}")
        if name in pairs:
            raise DlcalcError(f"{option} {name} given twice")
        pairs[name] = value.strip()
    return pairs


def register(app: typer.Typer) -> None:
    # ignore_unknown_options: an expression may start with a minus sign ("-y.T@log(softmax(z))").
    @app.command("check-deriv", help=HELP, epilog=EPILOG, rich_help_panel=section_title("4"),
                 context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
    def check_deriv(
        expr: str = typer.Argument(..., metavar="EXPR", help="the expression to differentiate (NumPy syntax)"),
        wrt: str = typer.Option(..., "--wrt", metavar="VAR", help="the variable to differentiate by"),
        expect: Optional[str] = typer.Option(None, "--expect", metavar="CLAIM", help="a claimed derivative to check"),
        shape: Optional[List[str]] = typer.Option(None, "--shape", metavar="NAME=DIMS", help="x=n (vector), A=m,n (matrix), s= (scalar); repeatable"),
        assume: Optional[List[str]] = typer.Option(None, "--assume", metavar="NAME=PROPERTY", help="symmetric spd diagonal orthogonal invertible posdet positive unit sign simplex, or several joined by commas; repeatable"),
        layout: str = typer.Option("denominator", "--layout", metavar="denominator|numerator", help="denominator: the gradient has the variable's shape; numerator: the Jacobian"),
        hessian: bool = typer.Option(False, "--hessian", help="the second derivative of a scalar (by a matrix: a tensor in index notation)"),
        order: int = typer.Option(1, "--order", metavar="1|2|3", help="the order of the derivative (2 = --hessian; 3 by a vector: a tensor)"),
        json_: bool = typer.Option(False, "--json", help="print one JSON object"),
        latex: bool = typer.Option(False, "--latex", help="print the derivative as LaTeX"),
        timeout: float = typer.Option(5.0, "--timeout", metavar="SECONDS", help="give up after this long"),
        emit_code: Optional[str] = typer.Option(None, "--emit", metavar="numpy", help="print a self-contained NumPy function computing the value and the derivative"),
    ) -> None:
        from dlcalc.deriv.check import check_derivative
        from dlcalc.render.output import emit

        result = check_derivative(
            expr,
            wrt,
            expect=expect,
            shapes=parse_pairs(shape, "--shape", "DIMS"),
            assume=parse_pairs(assume, "--assume", "PROPERTY"),
            layout=layout,
            hessian=hessian,
            order=order,
            timeout=timeout,
            emit=emit_code,
        )
        raise typer.Exit(int(emit(result, json_mode=json_, latex=latex)))
