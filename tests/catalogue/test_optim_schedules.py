"""Schedules, averaging and clipping against closed forms."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import as_json, plain, run_main


def test_cosine_schedule_closed_form_and_warmup():
    table = as_json(["lr-schedule", "--total", "8", "--peak", "2", "--floor", "0.5"])["result"]
    assert table == pytest.approx([0.5 + 0.75 * (1 + math.cos(math.pi * t / 8)) for t in range(9)])
    warm = as_json(["lr-schedule", "--total", "20", "--warmup", "4", "--peak", "1"])["result"]
    assert warm[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert warm[4] == pytest.approx(1.0) and warm[20] == pytest.approx(0.0)


def test_polyak_average_is_the_mean_and_ema_closed_form():
    thetas = np.random.default_rng(4).normal(size=(9, 3))
    assert as_json(["polyak-average", "--thetas", json.dumps(thetas.tolist())])["result"] == pytest.approx(thetas.mean(axis=0).tolist(), abs=1e-11)
    ema = as_json(["polyak-average", "--thetas", "[[1],[0],[0]]", "--mode", "ema", "--beta", "0.5"])["result"]
    assert ema == [0.25]


def test_clipping_keeps_direction_and_caps_the_norm():
    clipped = np.array(as_json(["clip-grad", "--grad", "3,-4,12", "--max-norm", "2"])["result"])
    assert np.linalg.norm(clipped) == pytest.approx(2.0)
    assert np.allclose(clipped / np.linalg.norm(clipped), np.array([3, -4, 12]) / 13)


def test_a_schedule_table_is_bounded_but_a_single_step_is_not():
    run = run_main(["lr-schedule", "--total", "100000000000"])
    assert run.code == 2 and "at most 1,000,000" in run.err
    assert float(plain(["lr-schedule", "--total", 100_000_000_000, "--peak", 1, "--at", 50_000_000_000])) == pytest.approx(0.5)
