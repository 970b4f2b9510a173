"""``python -m worldmodels.train env=<option> worldmodel=<preset> steps=N``: train a world model.

Gets episodes from the ``data`` source (instantiated from config), holds out the last episodes,
trains with TD-MPC2's losses (progress bar, TensorBoard under ``tensorboard/``), checkpoints
into ``checkpoints/`` every ``checkpoint_every`` steps and resumes from the newest one found
there, keeps the checkpoint of the best closed-loop evaluation in ``checkpoints/best``, then
writes ``metrics.json`` (open-loop errors against copy-last and linear baselines) and ``plots/``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from runkit import RunContext, hydra_entry_point, progress_bar, start_run
from worldmodels.config import TrainerConfig, WorldModelConfig  # (registers the schemas)

if TYPE_CHECKING:  # torch and the model are imported by the job: a command line is checked first
    from worldmodels.data import EpisodeDataset, WindowSampler
    from worldmodels.trainer import WorldModelTrainer

log = logging.getLogger(__name__)


class MetricWriter:
    """TensorBoard scalars under ``<run>/tensorboard`` (a no-op without the tensorboard package)."""

    def __init__(self, ctx: RunContext, enabled: bool) -> None:
        self.writer = None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            log.warning("tensorboard is not installed; no TensorBoard logs")
            return
        self.writer = SummaryWriter(str(ctx.output_dir / "tensorboard"))

    def scalars(self, prefix: str, values: dict[str, float], step: int) -> None:
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(f"{prefix}/{key}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def load_data(cfg: DictConfig, seed: int, modalities: list[str]) -> EpisodeDataset:
    from worldmodels.data import EpisodeDataset

    source = instantiate(cfg.data)
    return EpisodeDataset(source.episodes(seed), modalities)


def evaluate_agent(
    cfg: DictConfig, ctx: RunContext, checkpoint: Any, step: int, writer: MetricWriter
) -> dict[str, Any]:
    """Run the ``agent_eval`` evaluator on ``checkpoint``: return to TensorBoard, a video to
    ``videos/``, and the whole history so far to ``agent_eval.json``; the result's ``best``
    says whether its return beats every earlier evaluation's."""
    evaluator = instantiate(cfg.agent_eval)
    video = ctx.artefact(f"videos/eval_step_{step:07d}.mp4")
    result = {"step": step, **evaluator.evaluate(checkpoint, video)}
    writer.scalars("eval", {"return": result["return"]}, step)
    path = ctx.output_dir / "agent_eval.json"
    history = json.loads(path.read_text()) if path.exists() else []
    history = [h for h in history if h["step"] < step]
    result["best"] = all(result["return"] > h["return"] for h in history)
    ctx.write_json("agent_eval.json", [*history, result])
    log.info("step %d: agent return %.1f (video %s)", step, result["return"], video.name)
    return result


def best_evaluation(ctx: RunContext) -> dict[str, Any] | None:
    """The evaluation with the highest return so far (``agent_eval.json``), if any."""
    path = ctx.output_dir / "agent_eval.json"
    history = json.loads(path.read_text()) if path.exists() else []
    return max(history, key=lambda h: h["return"], default=None)


def train(
    cfg: DictConfig, ctx: RunContext, trainer: WorldModelTrainer, sampler: WindowSampler
) -> dict[str, float]:
    """Train to ``cfg.steps``, resuming from the newest checkpoint; return the last losses.

    Every ``eval.agent_every`` steps (and at the end) the agent planning in the newest
    checkpoint is evaluated in the env (:func:`evaluate_agent`); the model of the best
    evaluation so far is kept in ``checkpoints/best`` (the newest checkpoints are pruned, it is
    not)."""
    from worldmodels.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint

    folder = ctx.output_dir / "checkpoints"
    step = 0
    latest = latest_checkpoint(folder) if cfg.resume else None
    if latest is not None:
        _, state, step = load_checkpoint(latest, trainer.model)
        trainer.load_state_dict(state["trainer"])
        sampler.generator.set_state(state["sampler"])
        log.info("resumed from %s at step %d", latest, step)
    writer = MetricWriter(ctx, cfg.tensorboard)
    losses: dict[str, float] = {}
    start, start_step = time.perf_counter(), step
    with progress_bar(cfg.steps, "train", cfg.run.progress) as bar:
        bar.advance(step)
        while step < cfg.steps:
            terms = trainer.update(sampler.sample(cfg.trainer.batch_size))
            step += 1
            if step % cfg.log_every == 0 or step == cfg.steps:
                losses = {k: float(v) for k, v in terms.items()}
                writer.scalars("train", losses, step)
                bar.advance(1, loss=losses["total"])
            else:
                bar.advance(1)
            every = cfg.eval.agent_every
            evaluate = every > 0 and (step % every == 0 or step == cfg.steps)
            if step % cfg.checkpoint_every == 0 or step == cfg.steps or evaluate:
                state = {"trainer": trainer.state_dict(), "sampler": sampler.generator.get_state()}
                saved = save_checkpoint(
                    folder, step, trainer.model, state, cfg.keep_checkpoints, env=cfg.env.id
                )
                if evaluate and evaluate_agent(cfg, ctx, saved, step, writer)["best"]:
                    save_checkpoint(folder / "best", step, trainer.model, {}, 1, env=cfg.env.id)
                trainer.model.train()
    writer.close()
    elapsed = time.perf_counter() - start
    losses["steps_per_s"] = (step - start_step) / elapsed if elapsed > 0 else 0.0
    return losses


def run(cfg: DictConfig, output_dir: str | None = None) -> dict[str, Any]:
    """Train, evaluate and checkpoint as ``cfg`` says; return the metrics written."""
    import torch

    from worldmodels.checkpoint import latest_checkpoint
    from worldmodels.data import WindowSampler
    from worldmodels.evaluation import baselines, open_loop_errors
    from worldmodels.model import WorldModel
    from worldmodels.plots import plot_predictions
    from worldmodels.trainer import WorldModelTrainer, check_value_target

    if cfg.env.pixels is not None or cfg.env.frame_stack != 1:
        raise ValueError(
            "env.pixels and env.frame_stack apply to the episode entry point (embodied.episode); "
            "worldmodels.train takes its observations from the data source (image episodes: "
            "data with rgb among its modalities)"
        )
    ctx = start_run(cfg, output_dir)
    if cfg.cpu_threads is not None:
        torch.set_num_threads(cfg.cpu_threads)
    wm_cfg: WorldModelConfig = OmegaConf.to_object(cfg.worldmodel)  # type: ignore[assignment]
    trainer_cfg: TrainerConfig = OmegaConf.to_object(cfg.trainer)  # type: ignore[assignment]
    check_value_target(trainer_cfg)  # before the data is collected
    data = load_data(cfg, ctx.seed, wm_cfg.modalities)
    train_data, heldout = data.split(cfg.eval.heldout_fraction)
    model = WorldModel(wm_cfg, data.obs_shapes, data.action_dim)
    model.fit_normalizers(train_data.obs)
    log.info(
        "%d training and %d held-out episodes; model of %d parameters",
        train_data.num_episodes,
        heldout.num_episodes,
        sum(p.numel() for p in model.parameters()),
    )
    trainer = WorldModelTrainer(model, trainer_cfg, ctx.device, seed=ctx.seed)
    returns = trainer_cfg.value_target != "td"  # then batches carry the episodes' returns
    sampler = WindowSampler(
        train_data,
        trainer_cfg.horizon,
        seed=ctx.seed + 1,
        discount=trainer_cfg.discount if returns else None,
    )
    losses = train(cfg, ctx, trainer, sampler)
    metrics: dict[str, Any] = {
        "env": cfg.env.id,
        "steps": cfg.steps,
        "parameters": sum(p.numel() for p in model.parameters()),
        "episodes": {"train": train_data.num_episodes, "heldout": heldout.num_episodes},
        "final_losses": losses,
        "checkpoint": str(latest_checkpoint(ctx.output_dir / "checkpoints")),
    }
    evaluations = ctx.output_dir / "agent_eval.json"
    if evaluations.exists():
        metrics["agent_eval"] = json.loads(evaluations.read_text())
        best = best_evaluation(ctx)
        metrics["best_checkpoint"] = {
            "step": best["step"],
            "return": best["return"],
            "path": str(latest_checkpoint(ctx.output_dir / "checkpoints" / "best")),
        }
    if model.decoders:
        errors = open_loop_errors(
            model, train_data, heldout, list(cfg.eval.horizons), cfg.eval.max_starts
        )
        metrics["open_loop_mse"] = errors
        metrics["beats_copy_last"] = {
            name: {h: e["model"] < e["copy_last"] for h, e in per_h.items()}
            for name, per_h in errors.items()
        }
        writer = MetricWriter(ctx, cfg.tensorboard)
        for name, per_h in errors.items():
            for h, per_p in per_h.items():
                writer.scalars(f"eval/{name}/{h}", per_p, cfg.steps)
        writer.close()
        if cfg.eval.plot:
            predictors = {"model": model.predict, **baselines(model, train_data)}
            folder = ctx.artefact("plots/x").parent
            paths = plot_predictions(
                folder,
                heldout.episode(0),
                predictors,
                {k: model.obs_shapes[k] for k in model.decoders},
                3 * max(cfg.eval.horizons),
                ctx.device,
                reward=model.predict_rewards,
            )
            metrics["plots"] = [str(p) for p in paths]
    ctx.write_metrics(metrics)
    return metrics


@hydra_entry_point("train_worldmodel")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
