"""Grader of the built-in tasks (copied into each task folder; needs only numpy).

``python evaluate.py PREDICTIONS.npy LABELS.npy METRIC`` prints ``{"score": ...}`` as JSON; the
research agent imports :func:`evaluate` instead to save a process start per solution.
"""

import json
import sys

import numpy as np


def _accuracy(pred, labels):
    return float(np.mean(pred == labels))


def _rmse(pred, labels):
    return float(np.sqrt(np.mean((pred.astype(float) - labels) ** 2)))


METRICS = {"accuracy": _accuracy, "rmse": _rmse}


def evaluate(predictions, labels, metric):
    """The score of the predictions file against the labels file as ``{"score": ...}``."""
    pred = np.load(predictions, allow_pickle=False)
    truth = np.load(labels, allow_pickle=False)
    if pred.shape != truth.shape:
        raise ValueError(f"predictions have shape {pred.shape}, expected {truth.shape}")
    if pred.dtype.kind not in "biuf":
        raise ValueError(f"predictions have dtype {pred.dtype}, expected numbers")
    if not np.all(np.isfinite(pred)):
        raise ValueError("predictions contain NaN or infinity")
    return {"score": METRICS[metric](pred, truth), "metric": metric}


if __name__ == "__main__":
    print(json.dumps(evaluate(sys.argv[1], sys.argv[2], sys.argv[3])))
