"""Helpers shared by the optimiser modules (not a catalogue area: the name starts with _)."""

from __future__ import annotations


def gradient_rows(grads):
    """A vector (one step) or a matrix (one row per step) -> list of row lists."""
    return [list(row) for row in grads] if isinstance(grads[0], tuple) else [list(grads)]
