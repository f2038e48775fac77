"""Linear recurrent units against the plain recurrence; the LRU identities proven once each, and the
sheet's diagonal-basis version refuted."""

from __future__ import annotations

import json

import numpy as np
import pytest

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
    import json

    record = json.loads(run.out)
    assert np.allclose(record["result"]["z"], z, atol=1e-10)
    assert record["agreement"] < 1e-10 and record["result"]["stable"] is True


def test_lru_refuses_defective_matrices():
    run = run_main(["lru", "--A", "[[1,1],[0,1]]"])
    assert run.code == 2 and "diagonalisable" in run.err


@pytest.mark.parametrize("name", ["lru-diagonal-basis", "lru-unroll"])
def test_lru_identities_are_proven_and_the_sheet_version_refuted(name):
    entry = registry.get(name)
    assert entry.prove().proven  # what `dlcalc verify` runs
    if entry.sheet_version is not None:
        assert not prove_statement(entry.sheet_version).proven


def test_only_the_diagonal_basis_has_a_sheet_version():
    assert registry.get("lru-diagonal-basis").sheet_version is not None
    assert registry.get("lru-unroll").sheet_version is None
