"""Grader of the speedrun tasks (copied into each task folder; needs only numpy).

The predictions are log-probabilities of the next token after each held-out query, shape
``(queries, vocab)``: row ``i`` of ``<split>_X.npy`` holds the first ``<split>_lengths[i]``
tokens of a window of held-out text, and its label (private) is the token after them, which no
input holds. A run scores its wall time (``exec_time``, measured by the sandbox) if its mean loss
over the queries is at most the target in ``target.json`` next to the labels plus its ``slack``;
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
    if logp.shape != (len(truth), target["vocab"]):
        raise ValueError(
            f"predictions have shape {logp.shape}, expected {(len(truth), target['vocab'])}: "
            "one row of next-token log-probabilities per query"
        )
    if logp.dtype.kind != "f" or not np.all(np.isfinite(logp)):
        raise ValueError("predictions must be finite floating-point log-probabilities")
    total = np.exp(logp.astype(np.float64)).sum(axis=-1)
    if np.abs(total - 1.0).max() > 1e-3:
        raise ValueError("predictions are not normalised log-probabilities (exp does not sum to 1)")
    loss = float(-logp[np.arange(len(truth)), truth].astype(np.float64).mean())
    limit = target["target_loss"] + target["slack"]
    if loss > limit:
        raise ValueError(f"loss {loss:.4f} did not reach the target {limit:.4f}")
    if exec_time is None:
        raise ValueError("the run's wall time is unknown, so the run cannot be scored")
    return {"score": float(exec_time), "metric": metric, "loss": loss}
