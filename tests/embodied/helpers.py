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


def tiny_wm_agent(env, seed_steps: int, **options):
    """A wm_mpc agent small enough for a test (16-wide model, batch 8, MPPI 16 samples x 2
    iterations, 4 policy samples) on the CPU; ``options``: more WorldModelMPCConfig fields."""
    from embodied.agents.world_model_mpc import WorldModelMPCAgent, WorldModelMPCConfig
    from planning import MPPIConfig
    from worldmodels.config import TrainerConfig, WorldModelConfig

    cfg = WorldModelMPCConfig(
        worldmodel=WorldModelConfig(latent_dim=16, hidden_dim=16, encoder_dim=16, decoder=False),
        trainer=TrainerConfig(batch_size=8),
        planner=MPPIConfig(num_samples=16, num_elites=4, iterations=2, num_policy_samples=4),
        seed_steps=seed_steps,
        device="cpu",
        **options,
    )
    return WorldModelMPCAgent(env, cfg)
