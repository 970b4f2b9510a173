"""Grader of the speedrun tasks (copied into each task folder; needs only numpy).

The predictions are log-probabilities of the next token, shape labels.shape + (vocab,). A run
scores its wall time (``exec_time``, measured by the sandbox) if its loss on the split reaches
the target in ``target.json`` next to the labels (the test split gets ``test_slack`` more);
otherwise grading fails and the run counts as buggy.
"""

import json
from pathlib import Path

import numpy as np


def evaluate(predictions, labels, metric, exec_time=None):
    """``{"score": exec_time, "loss": ...}`` when the loss reaches the target, else ValueError."""
    logp = np.load(predictions, allow_pickle=False)
    truth = np.load(labels, allow_pickle=False).astype(np.int64)
    target = json.loads((Path(labels).parent / "target.json").read_text())
    if logp.shape != (*truth.shape, target["vocab"]):
        raise ValueError(f"predictions have shape {logp.shape}, expected {truth.shape} + vocab")
    if logp.dtype.kind != "f" or not np.all(np.isfinite(logp)):
        raise ValueError("predictions must be finite floating-point log-probabilities")
    total = np.exp(logp.astype(np.float64)).sum(axis=-1)
    if np.abs(total - 1.0).max() > 1e-3:
        raise ValueError("predictions are not normalised log-probabilities (exp does not sum to 1)")
    loss = float(-np.take_along_axis(logp, truth[..., None], axis=-1).mean())
    limit = target["target_loss"] + (target["test_slack"] if "test" in Path(labels).name else 0.0)
    if loss > limit:
        raise ValueError(f"loss {loss:.4f} did not reach the target {limit:.4f}")
    if exec_time is None:
        raise ValueError("the run's wall time is unknown, so the run cannot be scored")
    return {"score": float(exec_time), "metric": metric, "loss": loss}
