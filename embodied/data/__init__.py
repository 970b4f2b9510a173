"""Episode data: fast collection from the simulator and the on-disk format world models read."""

from embodied.data.agent_collection import AgentCollection
from embodied.data.episodes import EpisodeWriter, load_dataset, load_episode
from embodied.data.evaluation import AgentEvaluation
from embodied.data.rollout_collector import collect_state_episodes
from embodied.data.source import SavedEpisodes, SimulatorCollection
from embodied.data.vector_collector import collect_sensor_episodes

__all__ = [
    "AgentCollection",
    "AgentEvaluation",
    "EpisodeWriter",
    "SavedEpisodes",
    "SimulatorCollection",
    "collect_sensor_episodes",
    "collect_state_episodes",
    "load_dataset",
    "load_episode",
]
