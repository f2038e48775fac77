"""Time `dlcalc check-deriv` (derivative plus verification) on the sheet's §4 identities and on
issue 11's deep compositions, new grammar, matrix-by-scalar and matrix Hessians, against
`python -c "import sympy"`.

Both run as subprocesses, interleaved in one run (benchmarks/_timing.py); the report is each
command's median as a ratio of the baseline's (target: at most 1.5).
Usage: python benchmarks/check_deriv.py [repeats]
"""

from __future__ import annotations

import shutil
import sys

from _timing import report, time_commands

IDENTITIES = [  # (expr, wrt, claim): sheet §4.2-4.5, corrected as in the catalogue
    ("a.T@x", "x", "a"),
    ("x.T@x", "x", "2*x"),
    ("b.T@A@x", "x", "A.T@b"),
    ("x.T@A@x", "x", "(A + A.T)@x"),
    ("(A@x + b).T@C@(D@x + e)", "x", "D.T@C.T@(A@x + b) + A.T@C@(D@x + e)"),
    ("norm(A@x - b)**2", "x", "2*A.T@(A@x - b)"),
    ("a.T@X@b", "X", "a@b.T"),
    ("a.T@X.T@b", "X", "b@a.T"),
    ("a.T@X.T@X@b", "X", "X@(a@b.T + b@a.T)"),
    ("trace(X)", "X", "eye(n)"),
    ("trace(A@X@B)", "X", "A.T@B.T"),
    ("trace(A@X.T@B)", "X", "B@A"),
]

COMPOSITIONS = [  # (expr, wrt, extra options): issue 11, computed (no claim) then verified
    ("v.T@tanh(W@tanh(U@x))", "U", []),
    ("v.T@sigmoid(W3@softplus(W2@tanh(W1@x)))", "W1", []),
    ("-y.T@log(softmax(W2@tanh(W1@x + b)))", "W1", ["--assume", "y=simplex"]),
    ("v.T@softmax(K@q/sqrt(d))", "q", ["--shape", "d="]),
    ("-logdet(S)/2 - (x - mu).T@inv(S)@(x - mu)/2", "S", ["--shape", "mu=n", "--assume", "S=spd"]),
    ("inv(X.T@X + lam*eye(n))@X.T@y", "lam", ["--shape", "lam="]),
    ("x.T@inv(A + lam*eye(n))@x", "lam", ["--shape", "lam="]),
    ("inv(A + diag(x))@b", "x", []),
    ("log(det(A + x@x.T))", "x", ["--hessian"]),
    ("inv(A + alpha*B)", "alpha", []),
    ("sin(x).T@cos(x) + sum(abs(A@x)) + norm(x, 1)", "x", []),
    ("x*A@x", "x", []),
    ("logdet(X)", "X", ["--hessian"]),
    ("x.T@A@x + sum(exp(x))", "x", ["--emit", "numpy"]),
]


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    dlcalc = shutil.which("dlcalc") or sys.exit("dlcalc is not on PATH: pip install . first")
    commands = {"python -c 'import sympy'": [sys.executable, "-c", "import sympy"]}
    for expr, wrt, claim in IDENTITIES:
        commands[f"check-deriv {expr!r} --wrt {wrt}"] = [dlcalc, "check-deriv", expr, "--wrt", wrt, "--expect", claim]
    for expr, wrt, options in COMPOSITIONS:
        label = f"check-deriv {expr!r} --wrt {wrt} {' '.join(options)}".rstrip()
        commands[label] = [dlcalc, "check-deriv", expr, "--wrt", wrt, *options]
    medians = time_commands(commands, repeats)
    targets = {name: 1.5 for name in commands if name.startswith("check-deriv")}
    return 0 if report(medians, "python -c 'import sympy'", targets) else 1


if __name__ == "__main__":
    sys.exit(main())
