"""Densities written out for the generative tests (an independent reference, not dlcalc's code)."""

from __future__ import annotations

import numpy as np


def gaussian_logpdf(x, mean, cov):
    x, mean, cov = np.asarray(x, float), np.asarray(mean, float), np.asarray(cov, float)
    diff = x - mean
    return float(-0.5 * diff @ np.linalg.inv(cov) @ diff - 0.5 * np.log(np.linalg.det(2 * np.pi * cov)))
