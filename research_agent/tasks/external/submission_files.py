"""The files a solution of an external task writes into its workspace, and their size cap."""

from __future__ import annotations

MAX_SUBMISSION_BYTES = 64 * 2**20
SUBMISSION = "submission.csv"
VAL_SUBMISSION = "val_submission.csv"  # the solution's predictions for the validation rows
OUTPUTS = (SUBMISSION, VAL_SUBMISSION, "val_predictions.npy", "test_predictions.npy")


def submission_name(split: str) -> str:
    """The file a solution writes for ``split``: ``val_submission.csv`` or ``submission.csv``."""
    return VAL_SUBMISSION if split == "val" else SUBMISSION
