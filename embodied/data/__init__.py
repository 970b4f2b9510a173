"""Episode data: fast collection from the simulator and the on-disk format world models read."""

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "AgentCollection": "embodied.data.agent_collection",
        "AgentEvaluation": "embodied.data.evaluation",
        "EpisodeWriter": "embodied.data.episodes",
        "SavedEpisodes": "embodied.data.source",
        "SimulatorCollection": "embodied.data.source",
        "collect_sensor_episodes": "embodied.data.vector_collector",
        "collect_state_episodes": "embodied.data.rollout_collector",
        "load_dataset": "embodied.data.episodes",
        "load_episode": "embodied.data.episodes",
    },
)
