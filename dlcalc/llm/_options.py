"""The options every llm-* command shares: MODEL or --config, and the overrides."""

from __future__ import annotations

from typing import Any

from dlcalc.core.errors import DlcalcError
from dlcalc.core.registry import ABSENT, FLAG, INT, TEXT, Param
from dlcalc.llm._model import MAX_SIZE, PRESETS, Model, load

MODEL = Param("model", TEXT, "a preset: " + ", ".join(PRESETS), default=ABSENT, positional=True)
CONFIG = Param("config", TEXT, "a Hugging Face config.json on disk (instead of MODEL)", default=ABSENT)


def _override(name: str, help_text: str) -> Param:
    return Param(name, INT, "override " + help_text, default=ABSENT, minimum=1, maximum=MAX_SIZE)


OVERRIDE_PARAMS = (
    _override("layers", "the number of layers"),
    _override("d-model", "the width d (hidden_size)"),
    _override("heads", "the query heads (kv-heads follow where they were equal)"),
    _override("kv-heads", "the key/value heads"),
    _override("head-dim", "the head size"),
    _override("d-ff", "the MLP width (intermediate_size)"),
    _override("vocab", "the vocabulary size"),
    _override("experts", "the experts per layer (MoE)"),
    _override("experts-per-token", "the experts each token uses (MoE)"),
    Param("tied", FLAG, "tie the output matrix to the token embedding", default=False),
    Param("untied", FLAG, "a separate output matrix", default=False),
)
MODEL_PARAMS = (MODEL, CONFIG, *OVERRIDE_PARAMS)


def value(v: Any) -> Any:
    """An option's value, or None where it was not given."""
    return None if v is ABSENT or (isinstance(v, str) and v == "none") else v


def model_from(options: dict[str, Any]) -> Model:
    """The Model that the shared options describe (the rest of ``options`` is ignored)."""
    if options.get("tied") and options.get("untied"):
        raise DlcalcError("--tied and --untied exclude each other")
    tied = True if options.get("tied") else (False if options.get("untied") else None)
    overrides = {name: value(options.get(name)) for name in
                 ("layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab", "experts", "experts_per_token")}
    return load(value(options.get("model")), value(options.get("config")), overrides, tied=tied)


def describe(model: Model) -> dict[str, Any]:
    """The fields a user checks, for --json and the terminal title."""
    shown = {"model_type": model.model_type, "layers": model.layers, "d_model": model.d_model,
             "heads": model.heads, "kv_heads": model.kv_heads, "head_dim": model.head_dim, "d_ff": model.d_ff,
             "vocab": model.vocab, "tied": model.tied}
    if model.experts:
        shown.update(experts=model.experts, experts_per_token=model.experts_per_token)
    if model.sliding_window:
        shown["sliding_window"] = model.sliding_window
    return shown


def beyond_positions(model: Model, tokens: int) -> list[str]:
    """A note when ``tokens`` positions exceed a learned position table (GPT-2, OPT): the model cannot
    run them, whatever the arithmetic says. Rotary models have no table, so no hard limit."""
    if model.positions and tokens > model.max_context:
        return [f"{tokens:,} positions exceed {model.name}'s {model.max_context:,} learned positions; "
                "the model cannot run this context"]
    return []


def title(model: Model) -> str:
    return f"{model.name}: " + ", ".join(f"{k}={v}" for k, v in describe(model).items() if k != "model_type")


def human_bytes(n: float) -> str:
    """Both units named: 13.48 GB (12.55 GiB)."""
    return f"{n / 1e9:,.2f} GB ({n / 2**30:,.2f} GiB)"
