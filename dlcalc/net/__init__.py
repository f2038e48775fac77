"""Whole networks from a text spec: shapes, parameters, MACs/FLOPs, receptive field and memory.

Pure Python over dlcalc.core: ``summarize(text)`` returns a Summary (see dlcalc.net.network).
"""


def summarize(text: str, **options):
    """The Summary of a network spec (or '@preset'); options as dlcalc.net.network.summarize."""
    from dlcalc.net.network import summarize as run

    return run(text, **options)
