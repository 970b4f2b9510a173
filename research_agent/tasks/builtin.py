"""The built-in task suite, prepared offline from scikit-learn's bundled data sets.

A task is written into ``<cache>/<id>/`` at first use: a fixed 60/20/20 train/validation/test
split, validation and test labels kept in ``private/``, the baseline solution in ``starter/``
and its validation score in ``task.yaml``. Other task families (e.g. embodied tasks) plug in by
adding a :class:`TaskRecipe` to ``RECIPES`` (or by shipping a ready task folder). The source
``builtin`` (``task=wine`` or ``task=builtin:wine``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from research_agent.solutions.program import render
from research_agent.solutions.space import default_config
from research_agent.tasks.simulated import dynamics_windows, write_control_task
from research_agent.tasks.sources import SolutionRunner, register_task_source, starter_score
from research_agent.tasks.spec import TaskFolder, TaskSpec, publish, staging_folder

Arrays = tuple[np.ndarray, np.ndarray]
BaselineScorer = Callable[[TaskFolder], float]


def _sklearn(name: str, images: bool = False) -> Callable[[], Arrays]:
    def load() -> Arrays:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{name}")()
        return (bunch.images if images else bunch.data), bunch.target

    return load


@dataclass(frozen=True)
class TaskRecipe:
    """How to build a task folder: its spec (baseline filled in later), data and baseline."""

    spec: TaskSpec
    load: Callable[[], Arrays] | None
    baseline_model: str
    missing_rate: float = 0.0
    seed: int = 0
    baseline_features: list[str] = field(default_factory=lambda: ["impute", "standardize"])
    write_data: Callable[[Path], None] | None = None
    evaluator: str = "evaluate.py"


def _spec(task_id: str, description: str, kind: str, metric: str, **kw: object) -> TaskSpec:
    direction = "minimize" if metric == "rmse" else "maximize"
    return TaskSpec(task_id, description, kind, metric, direction, **kw)  # type: ignore[arg-type]


RECIPES: dict[str, TaskRecipe] = {
    r.spec.id: r
    for r in (
        TaskRecipe(
            _spec(
                "breast_cancer",
                "Classify breast tumours as malignant or benign from 30 features "
                "(about 2% of the feature values are missing).",
                "classification",
                "accuracy",
                medals={"gold": 0.995, "silver": 0.985, "bronze": 0.975, "median": 0.96},
            ),
            _sklearn("breast_cancer"),
            "linear",
            missing_rate=0.02,
        ),
        TaskRecipe(
            _spec(
                "wine",
                "Classify wines into 3 cultivars from 13 chemical measurements.",
                "classification",
                "accuracy",
                medals={"gold": 1.0, "silver": 0.98, "bronze": 0.96, "median": 0.93},
            ),
            _sklearn("wine"),
            "knn",
            baseline_features=[],
        ),
        TaskRecipe(
            _spec(
                "digits",
                "Classify 8x8 hand-written digits given as 64 pixel intensities.",
                "classification",
                "accuracy",
                medals={"gold": 0.99, "silver": 0.985, "bronze": 0.975, "median": 0.96},
            ),
            _sklearn("digits"),
            "linear",
            baseline_features=[],
        ),
        TaskRecipe(
            _spec(
                "diabetes",
                "Predict disease progression one year after baseline from 10 features "
                "(about 2% of the feature values are missing).",
                "regression",
                "rmse",
                medals={"gold": 56.0, "silver": 58.0, "bronze": 59.5, "median": 61.0},
            ),
            _sklearn("diabetes"),
            "linear",
            missing_rate=0.02,
        ),
        TaskRecipe(
            _spec(
                "cartpole_dynamics",
                "Design a world model of a cart-pole: from its state (cart position, cos and sin "
                "of the pole angle, velocities) and the next 10 forces applied, predict the next "
                "10 states (flattened, 10 x 5 values). Episodes come from the MuJoCo simulator "
                "under smoothed random forces; the score is the open-loop prediction RMSE.",
                "regression",
                "rmse",
            ),
            dynamics_windows,
            "linear",
            baseline_features=[],
        ),
        TaskRecipe(
            TaskSpec(
                "cartpole_control",
                "Design a controller that balances a cart-pole: choose the 5 gains K of the "
                "policy force = clip(K . [x, cos θ, sin θ, ẋ, θ̇], -1, 1) (θ = 0 upright). "
                "The MuJoCo model and how the env steps it are in the data folder; the score "
                "is the mean return (at most 500) of held-out 500-step episodes.",
                "control",
                "return",
                "maximize",
            ),
            None,
            "random_search",
            baseline_features=[],
            write_data=write_control_task,
            evaluator="evaluate_control.py",
        ),
        TaskRecipe(
            _spec(
                "digits_images",
                "Classify hand-written digits given as 8x8 single-channel images.",
                "classification",
                "accuracy",
                image=True,
                memory_mb=6144,
                medals={"gold": 0.99, "silver": 0.985, "bronze": 0.975, "median": 0.96},
            ),
            _sklearn("digits", images=True),
            "linear",
            baseline_features=[],
        ),
    )
}


def _write_split(recipe: TaskRecipe, root: Path) -> None:
    assert recipe.load is not None, f"{recipe.spec.id} has neither load nor write_data"
    x, y = recipe.load()
    rng = np.random.default_rng(recipe.seed)
    x = x.astype(np.float64)
    if recipe.missing_rate:
        x[rng.random(x.shape) < recipe.missing_rate] = np.nan
    order = rng.permutation(len(x))
    cut = [int(0.6 * len(x)), int(0.8 * len(x))]
    parts = dict(zip(("train", "val", "test"), np.split(order, cut), strict=True))
    for split, idx in parts.items():
        np.save(root / "public" / f"{split}_X.npy", x[idx])
        labels_dir = "public" if split == "train" else "private"
        np.save(root / labels_dir / f"{split}{'_y' if split == 'train' else '_labels'}.npy", y[idx])


def prepare(task_id: str, cache: Path, score_baseline: BaselineScorer | None = None) -> TaskFolder:
    """The task folder of built-in ``task_id`` under ``cache``, written on first use.

    ``score_baseline(task)`` gives the baseline's validation score, stored in ``task.yaml``
    (:func:`sandbox_baseline` runs the starter solution in the sandbox); it is needed only
    when the folder is written.
    """
    if task_id not in RECIPES:
        raise KeyError(f"unknown built-in task {task_id!r}; known: {sorted(RECIPES)}")
    root = cache / task_id
    if (root / "task.yaml").is_file():
        return TaskFolder.load(root)
    if score_baseline is None:
        raise ValueError(f"preparing task {task_id} scores its baseline: pass score_baseline")
    recipe = RECIPES[task_id]
    tmp = staging_folder(root)
    for sub in ("public", "private", "starter"):
        (tmp / sub).mkdir(parents=True)
    if recipe.write_data is not None:
        recipe.write_data(tmp)
    else:
        _write_split(recipe, tmp)
    shutil.copy(Path(__file__).with_name(recipe.evaluator), tmp / "evaluate.py")
    config = default_config(recipe.baseline_model, recipe.baseline_features)
    (tmp / "starter" / "solution.py").write_text(
        render(config, recipe.spec.kind, recipe.spec.image)
    )
    (tmp / "public" / "description.md").write_text(recipe.spec.description + "\n")
    for path in [tmp, *tmp.rglob("*")]:
        private = path.is_relative_to(tmp / "private")
        path.chmod(
            (0o700 if private else 0o755) if path.is_dir() else (0o600 if private else 0o644)
        )
    task = TaskFolder(tmp, recipe.spec)
    spec = replace(recipe.spec, baseline_score=score_baseline(task))
    (tmp / "task.yaml").write_text(yaml.safe_dump(asdict(spec), sort_keys=False))
    return publish(tmp, root)


def sandbox_baseline(runner: SolutionRunner) -> BaselineScorer:
    """A baseline scorer that runs the task's starter solution with ``runner`` (the sandbox)."""

    def score(task: TaskFolder) -> float:
        result = starter_score(runner, task)
        if result.score is None:
            raise RuntimeError(f"the baseline of {task.spec.id} failed: {result.error}")
        return result.score

    return score


@register_task_source
class BuiltinTasks:
    """The built-in suite (:data:`RECIPES`), by id."""

    prefix = "builtin"
    usage = f"Built-in tasks: {', '.join(sorted(RECIPES))}"

    def claims(self, name: str) -> bool:
        return name in RECIPES

    def check(self, name: str) -> None:
        if name not in RECIPES:
            raise KeyError(f"unknown built-in task {name!r}; known: {sorted(RECIPES)}")

    def load(self, name: str, cache: Path, runner: SolutionRunner) -> TaskFolder:
        return prepare(name, cache, sandbox_baseline(runner))
