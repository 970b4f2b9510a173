"""Continuous-time world models: reaction networks with mass-action kinetics, neural ODEs and
hybrid mechanistic + neural vector fields (torchdiffeq; adaptive solvers, adjoint gradients),
their training on irregularly sampled noisy trajectories, period estimation, and controlled
hybrid dynamics usable by the sampling planners (MPPI, CEM)."""

from worldmodels.ode.fields import HybridField, MLPField, StoichiometricField, integrate
from worldmodels.ode.period import estimate_period, period_error
from worldmodels.ode.reactions import (
    MassAction,
    Reaction,
    ReactionNetwork,
    ReactionSyntaxError,
    parse_reaction,
)
from worldmodels.ode.training import ODETrainConfig, Trajectory, fit_field

__all__ = [
    "HybridField",
    "MLPField",
    "MassAction",
    "ODETrainConfig",
    "Reaction",
    "ReactionNetwork",
    "ReactionSyntaxError",
    "StoichiometricField",
    "Trajectory",
    "estimate_period",
    "fit_field",
    "integrate",
    "parse_reaction",
    "period_error",
]
