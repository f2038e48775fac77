"""Every row of the catalogue (the reference beside the repository, ../shared/reference) is
declared by some formula: a command, an identity or a claim. Its ID appears in `catalogue_id`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlcalc.core import registry

CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "catalogue.md"


def catalogue_rows():
    text = CATALOGUE.read_text()
    part1 = text[text.index("## 1. Catalogue"):text.index("### 1.14")]
    return set(re.findall(r"^\| ([A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+) \|", part1, flags=re.M))


@pytest.mark.skipif(not CATALOGUE.exists(), reason="the catalogue lives beside the repository, in ../shared")
def test_every_catalogue_row_has_a_formula():
    declared = {cid for f in registry.formulas() for cid in f.catalogue_id.split()}
    rows = catalogue_rows()
    assert len(rows) > 200
    assert sorted(rows - declared) == []
