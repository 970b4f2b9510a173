"""Agents that act in the platform's environments."""

from embodied.agents.base import Agent
from embodied.agents.random_agent import RandomAgent
from embodied.agents.scripted import ScriptedAgent
from embodied.agents.simulator_mpc import SimulatorMPCAgent
from embodied.agents.world_model_mpc import WorldModelMPCAgent

__all__ = ["Agent", "RandomAgent", "ScriptedAgent", "SimulatorMPCAgent", "WorldModelMPCAgent"]
