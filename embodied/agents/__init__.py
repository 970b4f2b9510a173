"""Agents that act in the platform's environments."""

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Agent": "embodied.agents.base",
        "RandomAgent": "embodied.agents.random_agent",
        "ScriptedAgent": "embodied.agents.scripted",
        "SimulatorMPCAgent": "embodied.agents.simulator_mpc",
        "WorldModelMPCAgent": "embodied.agents.world_model_mpc",
    },
)
