"""Whole networks from a text spec: shapes, parameters, MACs/FLOPs, receptive field and memory.

Pure Python over dlcalc.core: ``summarize(text)`` returns a Summary (see dlcalc.net.network).
"""
