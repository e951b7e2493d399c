"""Affines shared by the guidance mutant tests."""

from __future__ import annotations

import numpy as np

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _shift(dx, dy):
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
