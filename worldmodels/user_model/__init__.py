"""A world model of the user's mind: what they want, what they believe, what they will do next.

``domain``: the symbolic household (places, objects, tasks, action values under a belief).
``inverse_planner.UserModel``: a particle filter over (task, belief), Bayesian inverse planning.
``recognizer.ActionRecognizer``: the user's actions from a robot's percepts.
``memory.EpisodicMemory``: where and when each object was last seen, by whom (bounded, saved).
``helping``: expected utility of help and the value of a question under the goal posterior.
``dialogue.DialogueGame``: what to say, by solving an extensive-form game with CFR (open_spiel).
Like the rest of ``worldmodels`` it imports nothing of ``embodied``.
"""

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ActionRecognizer": "worldmodels.user_model.recognizer",
        "EpisodicMemory": "worldmodels.user_model.memory",
        "Prediction": "worldmodels.user_model.inverse_planner",
        "Sighting": "worldmodels.user_model.memory",
        "TASKS": "worldmodels.user_model.household",
        "UserModel": "worldmodels.user_model.inverse_planner",
        "UserTask": "worldmodels.user_model.household",
        "World": "worldmodels.user_model.household",
    },
)
