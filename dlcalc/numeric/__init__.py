"""Numeric side of dlcalc."""
