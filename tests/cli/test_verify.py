"""`dlcalc verify`: the output forms, exit codes, the time limit, and every identity proving (once)."""

from __future__ import annotations

import json
import time

import pytest

from conftest import run_main, run_process
from dlcalc.core import registry
from dlcalc.cli import verify
from dlcalc.core.registry import formula
from dlcalc.core.proof import Proof

PART1_PREFIXES = ("PROB-", "ANA-", "LA-", "DER-", "INFO-", "ACT-", "OPT-", "LOSS-", "LIN-", "MLP-", "REG-")


def part1_identities():
    """Identities of catalogue part 1, recognised by their catalogue ids."""
    return sorted(f.name for f in registry.formulas() if f.prove is not None and f.catalogue_id.startswith(PART1_PREFIXES))


IDENTITIES = part1_identities()


def test_part1_registers_its_identities():
    assert len(IDENTITIES) >= 30
    assert {"mgf-gamma", "trace-cyclic", "tanh-sigmoid-link", "softmax-jacobian", "taylor-integral"} <= set(IDENTITIES)


ALL_IDENTITIES = sorted(f.name for f in registry.formulas() if f.prove is not None)


@pytest.mark.parametrize("name", ALL_IDENTITIES)
def test_every_identity_is_proven(name):
    """Each identity is proven here, once per test run (`verify --all` is not run: the README test skips it)."""
    record = verify.run_proof(registry.get(name))
    assert record["proven"], record["detail"]
    assert "spot check" in record["method"]


def test_plain_output_is_one_line_per_identity():
    run = run_main(["verify", "sigmoid-symmetry", "trace-linear"])
    lines = run.out.splitlines()
    assert run.code == 0 and len(lines) == 2
    assert lines[0].startswith("sigmoid-symmetry  proven  ") and lines[1].startswith("trace-linear  proven  ")


def test_json_lines_have_the_fixed_fields():
    run = run_main(["verify", "sigmoid-symmetry", "--json"])
    record = json.loads(run.out)
    assert {"name", "statement", "proven", "method", "seconds"} <= set(record)
    assert record["name"] == "sigmoid-symmetry" and record["proven"] is True
    assert record["statement"] == registry.get("sigmoid-symmetry").formula


@pytest.fixture
def broken_identity():
    """A registered identity whose proof fails, removed afterwards."""
    name = "test-broken-identity"
    formula(name=name, section="0", summary="a false statement", params=(), formula="1 = 2", latex="1 = 2",
            kind="identity", prove=lambda: Proof(False, "simplify", "1 − 2 ≠ 0"))
    yield name
    del registry.REGISTRY[name]


def test_a_failing_identity_exits_1_and_says_why(broken_identity):
    run = run_main(["verify", "sigmoid-symmetry", broken_identity])
    assert run.code == 1
    assert run.out.splitlines()[1] == f"{broken_identity}  failed  simplify: 1 − 2 ≠ 0"


@pytest.mark.parametrize("args", [["verify", "no-such-identity"], ["verify", "entropy"], ["verify"]])
def test_unknown_name_or_nothing_to_verify_exits_2(args):
    run = run_main(args)
    assert run.code == 2 and run.err.startswith("dlcalc: error:") and run.out == ""


def test_the_time_limit_stops_a_hanging_proof():
    slow = registry.Formula(name="slow", section="0", summary="s", params=(), formula="s", latex="s",
                            kind="identity", prove=lambda: time.sleep(5))
    started = time.perf_counter()
    record = verify.run_proof(slow, limit=1)
    assert time.perf_counter() - started < 3
    assert (record["proven"], record["method"]) == (False, "timeout")


def test_all_selects_every_identity_in_name_order():
    chosen = [f.name for f in verify.select([], everything=True)]
    assert chosen == sorted(chosen) and set(IDENTITIES) <= set(chosen)
    assert all(registry.get(name).prove is not None for name in chosen)


def test_verify_through_a_real_process():
    run = run_process(["verify", "mgf-poisson", "softmax-shift", "--json"])
    records = [json.loads(line) for line in run.out.splitlines()]
    assert run.code == 0 and [r["name"] for r in records] == ["mgf-poisson", "softmax-shift"]
    assert all(r["proven"] and r["seconds"] >= 0 for r in records)
    assert "\x1b[" not in run.out  # no progress bar when stdout is not a terminal


@pytest.mark.parametrize("name", IDENTITIES)
def test_every_part1_identity_fails_when_altered(name):
    """Adding 1/7 to the right-hand side must break every proof (guards against a proof that accepts anything)."""
    import sympy

    from dlcalc.core.proof import small_sampler
    from dlcalc.core.proof import prove_matrices_equal
    from dlcalc.core.proof import prove_equal

    entry = registry.get(name)
    lhs, rhs = entry.build()
    if hasattr(rhs, "shape"):
        assert not prove_matrices_equal(lhs, rhs + sympy.ones(*rhs.shape) / 7).proven
    else:
        assert not prove_equal(lhs, rhs + sympy.Rational(1, 7), sampler=small_sampler).proven


def test_verify_shows_the_sheets_version_refuted():
    run = run_main(["verify", "mgf-gamma", "--json"])
    record = json.loads(run.out)
    assert run.code == 0 and record["proven"] and record["sheet_version"]["refuted"]
    assert "the sheet's version refuted" in run_main(["verify", "jacobian-shape"]).out


def test_a_sheet_version_that_holds_fails_verify(monkeypatch):
    """Guard the guard: were the sheet's version true after all, verify says so and exits 1."""
    import dataclasses

    entry = registry.get("mgf-gamma")
    monkeypatch.setitem(registry.REGISTRY, "mgf-gamma", dataclasses.replace(entry, sheet_version=entry.build))
    run = run_main(["verify", "mgf-gamma"])
    assert run.code == 1 and "the sheet's version NOT refuted" in run.out
