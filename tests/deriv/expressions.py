"""Derivatives with their published or hand-derived closed forms: the sheet's §4.2–4.5 (as the
catalogue corrects them), the Matrix Cookbook's first-order identities, deep-learning gradients, and
the compositions of issue 11. One table for the tests (tests/deriv) and benchmarks/check_deriv.py."""

# Sheet §4.2 scalar-by-vector (denominator layout), catalogue DER-ATX .. DER-NORMSQ
SHEET_4_2 = [
    ("a.T@x", "x", "a"),
    ("x.T@a", "x", "a"),
    ("x.T@x", "x", "2*x"),
    ("b.T@A@x", "x", "A.T@b"),
    ("x.T@A@x", "x", "(A + A.T)@x"),
    ("(A@x + b).T@C@(D@x + e)", "x", "D.T@C.T@(A@x + b) + A.T@C@(D@x + e)"),
    # DER-NORMSQ with f = A@x - b: grad ||f||^2 = 2 J_f^T f (E22)
    ("norm(A@x - b)**2", "x", "2*A.T@(A@x - b)"),
    # DER-FTG with f = A@x, g = B@x: grad f^T g = J_f^T g + J_g^T f (E22)
    ("(A@x).T@(B@x)", "x", "A.T@B@x + B.T@A@x"),
    # DER-PROD, u = a.T@x, v = x.T@x
    ("(a.T@x)*(x.T@x)", "x", "(a.T@x)*2*x + (x.T@x)*a"),
    # DER-COMP, u = tanh, v = a.T@x
    ("tanh(a.T@x)", "x", "(1 - tanh(a.T@x)**2)*a"),
]

# Sheet §4.3 vector-by-vector in numerator layout (the Jacobian), catalogue DER-HADAMARD .. DER-AF
SHEET_4_3_NUMERATOR = [
    ("x*a", "x", "diag(a)"),
    ("x", "x", "eye(n)"),
    ("A@x", "x", "A"),
    ("(x.T@A).T", "x", "A.T"),
    ("alpha*(A@x)", "x", "alpha*A"),
    ("A@tanh(x)", "x", "A@diag(1 - tanh(x)**2)"),
    # DER-UF: d(u f)/dx = u J_f + f grad(u)^T with u = a.T@x, f = B@x
    ("(a.T@x)*(B@x)", "x", "(a.T@x)*B + B@x@a.T"),
    # DER-CHAIN3: f(g(h(x))) = tanh(A@exp(B@x)): J = diag(tanh') A diag(exp(Bx)) B
    ("tanh(A@exp(B@x))", "x", "diag(1 - tanh(A@exp(B@x))**2)@A@diag(exp(B@x))@B"),
]

# Sheet §4.4 scalar-by-matrix (gradient layout: the shape of X), with E24 corrected
SHEET_4_4 = [
    ("a.T@X@b", "X", "a@b.T"),
    ("a.T@X.T@b", "X", "b@a.T"),
    ("a.T@X.T@X@b", "X", "X@(a@b.T + b@a.T)"),
    ("trace(X)", "X", "eye(n)"),
    ("trace(A@X@B)", "X", "A.T@B.T"),
    ("trace(A@X.T@B)", "X", "B@A"),
]

# Matrix Cookbook first-order identities (eq. numbers of the 2012 edition)
COOKBOOK = [
    ("trace(A@X)", "X", "A.T"),  # (100)
    ("trace(X@A)", "X", "A.T"),
    ("trace(X.T@A)", "X", "A"),  # (101)
    ("trace(X.T@X)", "X", "2*X"),  # (103)
    ("trace(X@X)", "X", "2*X.T"),  # (104)
    ("trace(X.T@B@X)", "X", "B@X + B.T@X"),  # (108)
    ("trace(A@X@B@X)", "X", "A.T@X.T@B.T + B.T@X.T@A.T"),  # (106)
    ("norm(X)**2", "X", "2*X"),  # (130) Frobenius
    ("det(X)", "X", "det(X)*inv(X).T"),  # (49)
    ("log(det(X))", "X", "inv(X).T"),  # (57)
    ("logdet(X)", "X", "inv(X).T"),
    ("a.T@inv(X)@b", "X", "-inv(X).T@a@b.T@inv(X).T"),  # (61)
    ("trace(A@inv(X)@B)", "X", "-inv(X).T@A.T@B.T@inv(X).T"),  # (63)
    ("x.T@B@x", "x", "(B + B.T)@x"),  # (81)
    ("(A@x + b).T@(A@x + b)", "x", "2*A.T@(A@x + b)"),
    ("a.T@X.T@X@a", "X", "2*X@a@a.T"),  # (77) shape-matched variant
    ("b.T@X.T@D@X@c", "X", "D.T@X@b@c.T + D@X@c@b.T"),  # (79)
    ("norm(x)", "x", "x/norm(x)"),
]

# Deep-learning gradients
DL = [
    ("norm(A@x - b)**2", "x", "2*A.T@A@x - 2*A.T@b", {}, {}),
    # logistic loss with a scalar label y
    ("-y*log(sigmoid(w.T@x)) - (1 - y)*log(1 - sigmoid(w.T@x))", "w", "(sigmoid(w.T@x) - y)*x", {"y": ""}, {}),
    # softmax cross-entropy: softmax(z) - y needs y on the simplex
    ("-y.T@log(softmax(z))", "z", "softmax(z) - y", {}, {"y": "simplex"}),
    # a tanh layer, gradient of a linear read-out with respect to W and b
    ("c.T@tanh(W@x + b)", "W", "(c*(1 - tanh(W@x + b)**2))@x.T", {}, {}),
    ("c.T@tanh(W@x + b)", "b", "c*(1 - tanh(W@x + b)**2)", {}, {}),
    ("sum(softplus(W@x))", "W", "sigmoid(W@x)@x.T", {}, {}),
    ("sum(relu(W@x))", "x", "W.T@step(W@x)", {}, {}),
    ("sum(exp(x))", "x", "exp(x)", {}, {}),
    ("sum(sqrt(x))", "x", "1/(2*sqrt(x))", {}, {}),
    ("alpha*x.T@x", "alpha", "x.T@x", {}, {}),
    ("log(sum(exp(z)))", "z", "softmax(z)", {}, {}),
]


COMPOSITIONS = [  # (expr, wrt, extra options): computed without a claim, then verified
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
