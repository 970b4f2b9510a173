"""``python -m embodied.deploy robot=<profile> agent=<option> bridge=ros1|rosbridge``."""

from omegaconf import DictConfig

import embodied.config  # noqa: F401  (registers the agent and deploy schemas)
from embodied.deploy.app import run
from runkit import hydra_entry_point


@hydra_entry_point("deploy")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
