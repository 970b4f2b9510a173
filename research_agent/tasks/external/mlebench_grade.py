"""Run an MLE-bench grade function on one submission (a script; needs only pandas).

``python mlebench_grade.py GRADE_PY FUNCTION SUBMISSION ANSWERS [IMPORT_ROOT]`` loads
``FUNCTION`` from the file ``GRADE_PY`` (with ``IMPORT_ROOT``, e.g. the mle-bench checkout, on
``sys.path`` so that its ``mlebench.*`` imports resolve), reads the submission and the answers
as MLE-bench does (CSV with round-trip floats, or JSONL answers), and prints
``{"score": round(grade(submission, answers), 5)}``, or ``{"error": ...}`` for a submission
the grade function rejects. It runs outside the solution's sandbox: the answers are only here.
"""

import importlib.util
import json
import math
import sys


def _read(path):
    import pandas as pd

    if path.endswith(".jsonl"):
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    try:
        return pd.read_csv(path, float_precision="round_trip")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def main(grade_py, function, submission, answers, root=None):
    if root:
        sys.path.insert(0, root)
    spec = importlib.util.spec_from_file_location("mlebench_task_grade", grade_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    grade = getattr(module, function)
    try:
        score = grade(_read(submission), _read(answers))
        score = float(score)
    except Exception as exc:  # MLE-bench counts any grading failure as an invalid submission
        return {"error": f"invalid submission: {type(exc).__name__}: {exc}"}
    if not math.isfinite(score):
        return {"error": f"the grade function returned {score}"}
    return {"score": round(score, 5)}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
