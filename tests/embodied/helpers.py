"""Helpers the embodied tests share."""

# Overrides that make the wm_mpc agent small and quick enough for a test.
SMALL = [
    "agent.planner.num_samples=32",
    "agent.planner.num_elites=4",
    "agent.planner.num_policy_samples=4",
    "agent.planner.iterations=2",
    "agent.trainer.batch_size=16",
    "env.max_episode_steps=25",
    "agent.save_to=null",  # the default is the hydra run folder, which tests do not have
]
