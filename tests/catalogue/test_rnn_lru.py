"""Linear recurrent units against the plain recurrence, and the sheet's diagonal-basis version refuted
(the LRU identities are proven once, by tests/cli/test_verify.py)."""

from __future__ import annotations

import json

import numpy as np

from conftest import run_main
from dlcalc.core import registry
from dlcalc.core.proof import prove_statement


# ---- the lru command -----------------------------------------------------------------------------


def test_lru_state_matches_the_plain_recurrence():
    A = [[0.5, 0.2, 0.0], [0.0, 0.3, 0.1], [0.1, 0.0, -0.4]]
    B = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    xs = [[1.0, 0.0], [0.5, -1.0], [0.0, 2.0], [1.0, 1.0]]
    z = [0.0, 0.0, 0.0]
    for x in xs:  # z ← Az + Bx with lists only
        z = [sum(A[i][k] * z[k] for k in range(3)) + sum(B[i][k] * x[k] for k in range(2)) for i in range(3)]
    run = run_main(["lru", "--A", str(A), "--B", str(B), "--x", str(xs), "--json"])
    record = json.loads(run.out)
    assert np.allclose(record["result"]["z"], z, atol=1e-10)
    assert record["agreement"] < 1e-10 and record["result"]["stable"] is True


def test_lru_refuses_defective_matrices():
    run = run_main(["lru", "--A", "[[1,1],[0,1]]"])
    assert run.code == 2 and "diagonalisable" in run.err


def test_the_sheets_lru_basis_is_refuted():
    """The identities are proven once, by tests/cli/test_verify.py; the sheet's version must fail."""
    assert not prove_statement(registry.get("lru-diagonal-basis").sheet_version).proven


def test_only_the_diagonal_basis_has_a_sheet_version():
    assert registry.get("lru-diagonal-basis").sheet_version is not None
    assert registry.get("lru-unroll").sheet_version is None
