"""dlcalc: a calculator and derivation checker for the mathematics of deep learning."""

__version__ = "0.1.0"
