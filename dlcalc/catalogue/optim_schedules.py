"""Optimisers, averaging, clipping and learning-rate schedules (sheet §11.3 and the empty §14)."""

from __future__ import annotations

import math

from dlcalc.catalogue._common import rounded
from dlcalc.catalogue._optimisers import gradient_rows
from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import FLOAT, INT, MATRIX, VECTOR, Param, Rule, choice, erratum, formula
from dlcalc.core.result import Result, Table

SECTION = "11.3"


# ---- averaging, clipping, schedules --------------------------------------------------------------


def polyak_average(thetas, mode, beta):
    rows = gradient_rows(thetas)
    average = list(rows[0])
    for t, theta in enumerate(rows[1:], start=2):
        weight = 1 / t if mode == "mean" else beta
        average = [(1 - weight) * a + weight * x for a, x in zip(average, theta)]
    final = rounded(average)
    return Result(value=final,
                  steps=["θ̄_t = (1 − 1/t) θ̄_{t−1} + θ_t/t" if mode == "mean" else f"θ̄_t = (1 − β) θ̄_{{t−1}} + β θ_t, β = {beta}"])


_E35 = erratum(
    "E35",
    title="Polyak averaging 'O(1/t) for convex problems'",
    sheet="Polyak averaging achieves O(1/t) for convex problems",
    correct="O(1/t) for strongly convex smooth problems (Polyak & Juditsky 1992); O(1/√t) for general convex",
    command="dlcalc polyak-average --thetas '[[1],[2],[3]]'",
)

formula(
    name="polyak-average",
    section=SECTION,
    catalogue_id="OPT-POLYAK",
    summary="Polyak (running mean) or exponential moving average of iterates",
    params=(Param("thetas", MATRIX, "iterates θ_1, θ_2, ..., one per row"),
            Param("mode", choice("mean", "ema"), "running mean or EMA", default="mean"),
            Param("beta", FLOAT, "EMA weight β of the newest iterate", default=0.1, minimum=0)),
    formula="θ̄_t = (1 − 1/t) θ̄_{t−1} + θ_t/t;  EMA θ̄_t = (1 − β) θ̄_{t−1} + β θ_t",
    latex=r"\bar\theta_t = \left(1 - \tfrac1t\right)\bar\theta_{t-1} + \tfrac1t\theta_t",
    compute=polyak_average,
    errata=(_E35,),
    examples=(("--thetas '[[1],[2],[3]]'", "2.0"), ("--thetas '[[0],[1]]' --mode ema --beta 0.25", "0.25")),
)


def clip_grad(grad, max_norm):
    norm = math.hypot(*grad)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    clipped = [g * scale for g in grad]
    return Result(value=clipped,
                  steps=[f"‖g‖ = {norm!r};  scale min(1, c/‖g‖) = {scale!r}"], extra={"norm": norm})


formula(
    name="clip-grad",
    section="14",
    catalogue_id="OPT-CLIP",
    summary="Gradient clipping by global norm",
    params=(Param("grad", VECTOR, "the gradient g"), Param("max-norm", FLOAT, "the threshold c", minimum=0)),
    formula="g ← g · min(1, c/‖g‖)",
    latex=r"g \leftarrow g\,\min\!\left(1, \frac{c}{\|g\|}\right)",
    compute=clip_grad,
    examples=(("--grad 3,4 --max-norm 1", "0.6000000000000001,0.8", "3·(1/5) rounds up in binary"),
              ("--grad 0.3,0.4 --max-norm 1", "0.3,0.4")),
)


def schedule_value(kind, t, peak, floor, total, warmup):
    """Learning rate at step t (0-based) of a schedule."""
    if warmup > 0 and t < warmup:
        return peak * (t + 1) / warmup  # linear warm-up reaches the peak at step warmup − 1
    if kind == "constant":
        return peak
    progress = min(max(t - warmup, 0) / max(total - warmup, 1), 1.0)
    if kind == "linear":
        return floor + (peak - floor) * (1 - progress)
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


MAX_TABLE_ROWS = 1_000_000


def lr_schedule(kind, peak, floor, total, warmup, at, every):
    if warmup > total:
        raise DlcalcError(f"--warmup ({warmup}) cannot exceed --total ({total})")
    if at != -1:
        value = schedule_value(kind, at, peak, floor, total, warmup)
        return Result(value=value,
                      steps=[f"η_{at} = {value!r}  ({kind}, warm-up {warmup} steps, {total} steps in all)"])
    points = list(range(0, total + 1, every))
    values = [schedule_value(kind, t, peak, floor, total, warmup) for t in points]
    return Result(value=values,
                  table=Table(columns=["t", "η_t"], rows=[[t, f"{v:.6g}"] for t, v in zip(points, values)],
                              title=f"{kind} schedule"), extra={"steps": points})


formula(
    name="lr-schedule",
    section="14",
    catalogue_id="OPT-SCHEDULE",
    summary="Learning-rate schedules (cosine, linear, constant; optional linear warm-up) at a step or tabulated",
    params=(
        Param("kind", choice("cosine", "linear", "constant"), "the decay after warm-up", default="cosine"),
        Param("peak", FLOAT, "η_max", default=0.001, minimum=0),
        Param("floor", FLOAT, "η_min reached at the end", default=0.0, minimum=0),
        Param("total", INT, "total steps T", minimum=1),
        Param("warmup", INT, "linear warm-up steps", default=0, minimum=0),
        Param("at", INT, "the step t (0-based); without it, a table", default=-1, minimum=-1),
        Param("every", INT, "table spacing", default=1, minimum=1),
    ),
    formula="cosine η_t = η_min + ½(η_max − η_min)(1 + cos(π (t−W)/(T−W)));  warm-up η_t = η_max (t+1)/W for t < W",
    latex=r"\eta_t = \eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})\left(1 + \cos\frac{\pi t}{T}\right)",
    compute=lr_schedule,
    rules=(Rule(broken=lambda total, every, at, **_: (at == -1) & (total // every + 1 > MAX_TABLE_ROWS),
                says=lambda total, every, **_: f"the table would have {total // every + 1:,} rows: at most "
                f"{MAX_TABLE_ROWS:,} (raise --every, or give --at)"),),
    examples=(
        ("--total 100 --peak 1 --at 50", "0.5", "half-way down the cosine"),
        ("--total 100 --peak 1 --at 100", "0.0"),
        ("--kind linear --total 4 --peak 1", "1.0,0.75,0.5,0.25,0.0"),
        ("--total 110 --warmup 10 --peak 1 --at 4", "0.5", "warm-up: 5/10 of the peak"),
    ),
)
