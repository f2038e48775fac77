"""The sheet's wrong statements (``sheet_version=``) of the identities in probability, information,
analysis, linear algebra, matrix calculus and tensors: each is refuted by the same proof that proves the
correct statement (tests/cli/test_verify.py proves those), or does not even conform (SymPy's ShapeError)."""

from __future__ import annotations

import pytest
from sympy.matrices.exceptions import ShapeError

from dlcalc.core import registry
from dlcalc.core.proof import prove_statement

AREAS = ("probability", "information", "analysis", "linalg", "matrix_calculus", "tensor_chain")
EXPECTED = {"mgf-normal", "mgf-gamma", "scaled-density", "jacobian-shape", "chain-rule-3", "grad-f-dot-g",
            "grad-norm-squared", "grad-a-xt-b", "tensor-chain-rule"}


def sheet_versions():
    return sorted(f.name for f in registry.formulas()
                  if f.sheet_version is not None and f.module.rsplit(".", 1)[-1].startswith(AREAS))


def test_every_erring_identity_declares_the_sheets_version():
    assert set(sheet_versions()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_sheets_version_is_refuted(name):
    entry = registry.get(name)
    try:
        proof = prove_statement(entry.sheet_version, "sheet")
    except ShapeError:
        return  # E21/E23: the sheet's product of Jacobians does not even conform
    assert not proof.proven, f"{name}: the sheet's version was proven ({proof.detail})"
