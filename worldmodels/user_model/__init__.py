"""A world model of the user's mind: what they want, what they believe, what they will do next.

``domain``: the symbolic household (places, objects, tasks, action values under a belief).
``inverse_planner.UserModel``: a particle filter over (task, belief), Bayesian inverse planning.
``recognizer.ActionRecognizer``: the user's actions from a robot's percepts.
``memory.EpisodicMemory``: where and when each object was last seen, by whom (bounded, saved).
``helping``: expected utility of help and the value of a question under the goal posterior.
``dialogue.DialogueGame``: what to say, by solving an extensive-form game with CFR (open_spiel).
Like the rest of ``worldmodels`` it imports nothing of ``embodied``.
"""

from worldmodels.user_model.household import TASKS, UserTask, World
from worldmodels.user_model.inverse_planner import Prediction, UserModel
from worldmodels.user_model.memory import EpisodicMemory, Sighting
from worldmodels.user_model.recognizer import ActionRecognizer

__all__ = [
    "TASKS",
    "ActionRecognizer",
    "EpisodicMemory",
    "Prediction",
    "Sighting",
    "UserModel",
    "UserTask",
    "World",
]
