"""The settings of the sampling planners (CEM, MPPI), apart from the planners: the schemas of
every config that embeds a planner, importable without torch (an entry point checks its
command line against them before it imports torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _autocast_dtypes() -> tuple[Any, ...]:
    import torch  # imported on use: only a config that sets autocast_dtype needs it

    return (torch.bfloat16, torch.float16)


@dataclass
class SamplingConfig:
    """Settings shared by CEM and MPPI (defaults are TD-MPC2's)."""

    horizon: int = 3
    """Steps ``H`` of each action sequence."""
    num_samples: int = 512
    """Sequences ``N`` scored per iteration, the policy prior's included."""
    num_elites: int = 64
    """Best sequences ``K`` the distribution is refitted to."""
    iterations: int = 6
    """Refits per plan."""
    min_std: float = 0.05
    """Lower clamp of the refitted std."""
    max_std: float = 2.0
    """Upper clamp of the refitted std, and the std each plan starts from."""
    num_policy_samples: int = 24
    """Sequences per iteration taken from the policy prior, when one is given."""
    seed: int = 0
    """Seed of the sampling noise."""
    compile: bool = False
    """``torch.compile`` the whole optimisation loop (CUDA graphs on CUDA)."""
    autocast_dtype: Any = None
    """``torch.bfloat16`` or ``torch.float16``: autocast the score and prior functions; None
    runs them in the plan's dtype. (Typed ``Any`` so that hydra's structured configs hold it.)"""

    def __post_init__(self) -> None:
        for name in ("horizon", "num_samples", "num_elites", "iterations"):
            check_field(self, name, getattr(self, name) >= 1, ">= 1")
        check_field(self, "num_elites", self.num_elites <= self.num_samples, "<= num_samples")
        check_field(self, "min_std", self.min_std > 0, "> 0")
        check_field(self, "max_std", self.max_std >= self.min_std, ">= min_std")
        check_field(
            self,
            "num_policy_samples",
            0 <= self.num_policy_samples < self.num_samples,
            ">= 0 and < num_samples",
        )
        check_field(
            self,
            "autocast_dtype",
            self.autocast_dtype is None or self.autocast_dtype in _autocast_dtypes(),
            "None, torch.bfloat16 or torch.float16",
        )


def check_field(config: object, name: str, ok: bool, rule: str) -> None:
    """Raise a ValueError naming ``config``'s field ``name`` unless ``ok``."""
    if not ok:
        value = getattr(config, name)
        raise ValueError(f"{type(config).__name__}.{name} must be {rule}, got {value!r}")


@dataclass
class MPPIConfig(SamplingConfig):
    """TD-MPC2's planner settings."""

    temperature: float = 0.5
    """Scales the elites' scores before the softmax that weights them."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_field(self, "temperature", self.temperature > 0, "> 0")


@dataclass
class CEMConfig(SamplingConfig):
    """CEM settings; defaults follow PlaNet (horizon 12, 1000 samples, 100 elites, 10 rounds)."""

    horizon: int = 12
    num_samples: int = 1000
    num_elites: int = 100
    iterations: int = 10
    max_std: float = 1.0
    num_policy_samples: int = 0
