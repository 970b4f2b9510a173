"""``python -m runkit.dashboard``: serve every run under ``outputs/`` and ``multirun/`` in the
browser, read-only and live (``port=``, ``host=``, ``roots=[...]`` override)."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from runkit.config import RunConfig
from runkit.hydra_app import hydra_entry_point
from runkit.preflight import UsageError

log = logging.getLogger(__name__)


@dataclass
class DashboardConfig:
    """The dashboard's settings.

    host: the address to bind; 127.0.0.1 (this machine only) unless you mean to share every
    run's files with your network. port: the TCP port. roots: the folders whose run folders are
    served. hide: entry points left out of the index (the dashboard's own runs).
    allowed_hosts: extra Host names accepted (e.g. a machine name when host is not loopback).
    """

    run: RunConfig = field(default_factory=RunConfig)
    host: str = "127.0.0.1"
    port: int = 8765
    roots: list[str] = field(default_factory=lambda: ["outputs", "multirun"])
    hide: list[str] = field(default_factory=lambda: ["dashboard"])
    allowed_hosts: list[str] = field(default_factory=list)


ConfigStore.instance().store(name="dashboard_schema", node=DashboardConfig)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(cfg: DictConfig | DashboardConfig) -> None:
    """Serve the dashboard until interrupted."""
    import uvicorn

    from runkit.dashboard.server import create_app

    if not 0 < cfg.port < 65536:
        raise UsageError(f"port={cfg.port}: a port must be in 1..65535")
    if not _is_loopback(cfg.host):
        log.warning("host=%s: every run's files are readable from the network", cfg.host)
    app = create_app(list(cfg.roots), tuple(cfg.hide), (cfg.host, *cfg.allowed_hosts))
    log.info("dashboard on http://%s:%d/ serving %s", cfg.host, cfg.port, ", ".join(cfg.roots))
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning")


@hydra_entry_point("dashboard")
def main(cfg: DictConfig) -> None:
    serve(cfg)


if __name__ == "__main__":
    main()
