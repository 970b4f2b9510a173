"""World-model text modality on the pick-and-place household: does reading the instruction make
the model predict held-out episodes better, and does its best predicted motion follow the
instruction?

Where the instruction matters: once the robot holds the object, the reward is the object's
progress towards the place named in the instruction (− 0.01 a step), and nothing else in the
robot's proprio tells which place that is. So each episode starts where the scripted expert has
picked the named object up, and goes on for ``--steps`` steps of a behaviour that ignores the
instruction: base velocities in a random direction (held for 5 steps), a random turn rate, the
arm held, the gripper closed. Two models, identical but for the ``text`` modality, train on the
same episodes; the held-out episodes are those of instructions (object, place pairs) never seen
in training, each place still seen with other objects. Measured on them:

- ``reward_mae``: the one-step reward error on every held-out step;
- ``direction``: at every 10th held-out step and for each place the object may go to, the
  instruction naming that place is given; how often the drive direction (of 16) with the best
  predicted return over 3 steps points at that place (within about 45°). A model without text
  predicts the same direction whatever the instruction.

Prints one JSON object. Usage: python benchmarks/text_modality.py [--seeds 0 1 2]
[--episodes 60] [--steps 40] [--updates 1200] [--tokenizer bytes|smollm2]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

import embodied
from embodied.agents.scripted import ScriptedAgent
from embodied.data.episodes import observation_array
from embodied.envs.household import ORIGIN, PLACES, instruction
from scenes.library import HOUSEHOLD_SURFACES
from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import EpisodeDataset, WindowSampler
from worldmodels.model import WorldModel
from worldmodels.text_encoder import tokenize
from worldmodels.trainer import WorldModelTrainer

MODALITIES = ["proprio", "text"]
PICKED_PHASE = 6  # the expert's first phase of placing: the object is held
HELDOUT_PAIRS = frozenset(
    {("mug", "bin"), ("book", "shelf"), ("can", "coffee_table"), ("block", "kitchen_table")}
)
"""Instructions held out of training: every place is still named with other objects."""


def places_for(target: str) -> list[str]:
    """The places the household may ask ``target`` to be put (not where it starts)."""
    return [p for p in PLACES if p != ORIGIN[target]]


def carry_episodes(num: int, steps: int, seed: int, tokenizer: str = "bytes") -> list[dict]:
    """``num`` episodes of ``steps`` steps that start with the named object in the gripper (the
    expert picks it up first, not recorded) and move it by an instruction-blind behaviour.

    Besides the episode arrays each holds ``object`` (``[T + 1, 3]``, the held object's
    position), ``target`` and ``place`` (names), for the direction measure and the split.
    """
    env = embodied.make("household", modalities=MODALITIES, max_episode_steps=1000)
    agent, task = ScriptedAgent(env), env.unwrapped.task
    rng = np.random.default_rng(seed)
    episodes = []
    for i in range(num):
        observation, _ = env.reset(seed=seed * 1000 + i)
        while task.phase < PICKED_PHASE:
            observation, *_ = env.step(agent.act(observation))
        if task.grasp.held != task.target:
            raise RuntimeError(f"the expert did not pick {task.target} up (seed {seed * 1000 + i})")
        arm = task._arm  # the pose the expert lifted the object with
        observations, actions, rewards = [observation], [], []
        positions = [task.agent_position().copy()]
        for t in range(steps):
            if t % 5 == 0:
                angle, speed = rng.uniform(0.0, 2 * np.pi), rng.uniform(0.3, 1.0)
                base = [speed * np.cos(angle), speed * np.sin(angle), rng.uniform(-0.5, 0.5)]
            action = np.array([*base, *arm, 1.0], dtype=np.float32)
            observation, reward, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                raise RuntimeError("a carry episode ended early: raise max_episode_steps")
            observations.append(observation)
            actions.append(action)
            rewards.append(reward)
            positions.append(task.agent_position().copy())
        episode = {
            "action": np.stack(actions),
            "reward": np.asarray(rewards, dtype=np.float32),
            "terminated": np.zeros(steps, dtype=bool),
            "object": np.stack(positions),
            "target": task.target,
            "place": task.place,
        }
        for key in MODALITIES:
            episode[key] = observation_array([o[key] for o in observations], None, tokenizer)
        episodes.append(episode)
    env.close()
    return episodes


def split_by_instruction(episodes: list[dict]) -> tuple[list[dict], list[dict]]:
    """Training episodes, and held-out ones whose (object, place) is in ``HELDOUT_PAIRS``."""
    train = [e for e in episodes if (e["target"], e["place"]) not in HELDOUT_PAIRS]
    heldout = [e for e in episodes if (e["target"], e["place"]) in HELDOUT_PAIRS]
    if not train or not heldout:
        raise ValueError("too few episodes to hold some instructions out: collect more")
    return train, heldout


def model_config(modalities: list[str], tokenizer: str = "bytes") -> WorldModelConfig:
    """A model small enough to train in a minute; rewards are a few hundredths, so the two-hot
    bins span [-1, 1]."""
    return WorldModelConfig(
        modalities=modalities,
        latent_dim=32,
        hidden_dim=64,
        encoder_dim=32,
        num_q=2,
        vmin=-1.0,
        vmax=1.0,
        num_bins=41,
        text_tokenizer=tokenizer,
    )


def train_model(
    data: EpisodeDataset,
    modalities: list[str],
    updates: int,
    seed: int = 0,
    tokenizer: str = "bytes",
) -> WorldModel:
    """A model of ``modalities`` trained ``updates`` steps of batch 32 (same seed, data and
    updates for every model compared); ``tokenizer`` is the one the episodes' text used."""
    torch.manual_seed(seed)
    cfg = model_config(modalities, tokenizer)
    model = WorldModel(cfg, {m: data.obs_shapes[m] for m in modalities}, data.action_dim)
    model.fit_normalizers(data.obs)
    cfg = TrainerConfig(batch_size=32, reward_coef=1.0, learning_rate=3e-3, encoder_lr_scale=1.0)
    trainer = WorldModelTrainer(model, cfg, torch.device("cpu"))
    sampler = WindowSampler(data, horizon=3, seed=seed + 1)
    for _ in range(updates):
        trainer.update(sampler.sample(32))
    return model


def reward_error(model: WorldModel, heldout: EpisodeDataset) -> float:
    """Mean absolute error of the one-step reward prediction on every held-out step."""
    steps, obs = heldout.starts(1)
    batch = heldout.window(torch.from_numpy(steps), torch.from_numpy(obs), 1)
    first = {k: v[0] for k, v in batch.obs.items() if k in model.encoder.modalities}
    with torch.no_grad():
        predicted = model.predict_rewards(first, batch.action)
    return float((predicted - batch.reward).abs().mean())


DIRECTIONS = 16
HORIZON = 3  # steps a drive direction is held for its predicted return (the training horizon)


def direction_returns(
    model: WorldModel, proprio: torch.Tensor, action: torch.Tensor, text: str | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The unit drive directions ``[K, 2]`` (``K = DIRECTIONS``) and, per state ``proprio[N, D]``,
    the return ``[N, K]`` predicted for holding each of them ``HORIZON`` steps (over a few steps,
    not one: the base takes a step or two to reach a commanded velocity), the rest of the action
    as ``action[N, A]`` without turning, under the instruction ``text`` (ignored by a model
    without text)."""
    angles = torch.linspace(0, 2 * np.pi, DIRECTIONS + 1)[:-1]
    directions = torch.stack([angles.cos(), angles.sin()], -1)
    n = len(proprio)
    actions = action.repeat_interleave(DIRECTIONS, 0).clone()
    actions[:, :2] = directions.repeat(n, 1)
    actions[:, 2] = 0.0
    obs = {"proprio": proprio.repeat_interleave(DIRECTIONS, 0)}
    if "text" in model.encoder.modalities and text is not None:
        ids = tokenize([text], model.cfg.text_tokenizer)
        obs["text"] = torch.from_numpy(ids).expand(n * DIRECTIONS, -1)
    with torch.no_grad():
        rewards = model.predict_rewards(obs, actions.expand(HORIZON, -1, -1))
    return directions, rewards.sum(0).view(n, DIRECTIONS)


def best_directions(
    model: WorldModel, proprio: torch.Tensor, action: torch.Tensor, text: str | None
) -> torch.Tensor:
    """``[N, 2]``: the drive direction of :func:`direction_returns` predicted best per state."""
    directions, returns = direction_returns(model, proprio, action, text)
    return directions[returns.argmax(1)]


def direction_accuracy(model: WorldModel, episodes: list[dict], every: int = 10) -> float:
    """How often the best predicted drive direction points at the instructed place (within
    about 45°), over every ``every``-th step of ``episodes`` × each place the episode's object
    may be asked to go to."""
    hits = []
    for episode in episodes:
        proprio = torch.from_numpy(episode["proprio"][:-1:every])
        action = torch.from_numpy(episode["action"][::every])
        position = torch.from_numpy(episode["object"][:-1:every, :2]).float()
        for place in places_for(episode["target"]):
            best = best_directions(model, proprio, action, instruction(episode["target"], place))
            towards = torch.tensor(HOUSEHOLD_SURFACES[place][:2]).float() - position
            cosine = (best * towards).sum(-1) / towards.norm(dim=-1)
            hits.append((cosine > 0.7).float())
    return float(torch.cat(hits).mean())


def run_seed(seed: int, episodes: int, steps: int, updates: int, tokenizer: str = "bytes") -> dict:
    """Both models on one seed's episodes (collection and initialisation seeded by ``seed``)."""
    start = time.perf_counter()
    train, heldout = split_by_instruction(carry_episodes(episodes, steps, seed, tokenizer))
    collect_s = time.perf_counter() - start
    train_data = EpisodeDataset(train, MODALITIES)
    heldout_data = EpisodeDataset(heldout, MODALITIES)
    result: dict = {"train_episodes": len(train), "heldout_episodes": len(heldout)}
    for name, modalities in (("proprio + text", MODALITIES), ("proprio", ["proprio"])):
        model = train_model(train_data, modalities, updates, seed, tokenizer)
        result[name] = {
            "reward_mae": reward_error(model, heldout_data),
            "direction": direction_accuracy(model, heldout),
        }
    result["seconds"] = {"collect": collect_s, "total": time.perf_counter() - start}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--episodes", type=int, default=60)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--updates", type=int, default=1200)
    parser.add_argument("--tokenizer", choices=["bytes", "smollm2"], default="bytes")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small models train fastest on one thread
    from machine import machine_info

    seeds = {
        s: run_seed(s, args.episodes, args.steps, args.updates, args.tokenizer) for s in args.seeds
    }
    summary = {}
    for name in ("proprio + text", "proprio"):
        for key in ("reward_mae", "direction"):
            values = np.array([seeds[s][name][key] for s in args.seeds])
            summary[f"{name}: {key}"] = {"mean": values.mean(), "min": values.min(),
                                         "max": values.max()}  # fmt: skip
    goal_met = all(
        seeds[s]["proprio + text"]["reward_mae"] < seeds[s]["proprio"]["reward_mae"]
        and seeds[s]["proprio + text"]["direction"] > seeds[s]["proprio"]["direction"]
        for s in args.seeds
    )
    machine = {**machine_info(torch.device("cpu")), "load_average": os.getloadavg()}
    report = {"machine": machine, "args": vars(args), "seeds": seeds, "summary": summary,
              "goal_met": goal_met}  # fmt: skip
    print(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
