"""A minimal Adam optimiser on numpy vectors (shared by the gradient-based solvers)."""

from __future__ import annotations

import numpy as np


class Adam:
    """Adam on a flat parameter vector; ``step`` descends (pass −gradient to ascend)."""

    def __init__(self, size: int, learning_rate: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.learning_rate, self.betas, self.eps = learning_rate, betas, eps
        self.m, self.v, self.t = np.zeros(size), np.zeros(size), 0

    def step(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameters after one Adam update with this gradient."""
        b1, b2 = self.betas
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad**2
        m_hat, v_hat = self.m / (1 - b1**self.t), self.v / (1 - b2**self.t)
        return params - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)
