"""``configs/dashboard.yaml`` composes against its schema; bad settings are named."""

import pytest
from hydra.errors import ConfigCompositionException

import runkit.dashboard.app  # noqa: F401  (registers dashboard_schema)
from runkit.dashboard.app import serve
from tests.hydra_compose import compose_config


def test_dashboard_config_composes_local_by_default():
    cfg = compose_config("dashboard", ["port=9000"])
    assert cfg.host == "127.0.0.1" and cfg.port == 9000
    assert list(cfg.roots) == ["outputs", "multirun"] and cfg.hydra.job.name == "dashboard"


@pytest.mark.parametrize("override, key", [("prot=1", "prot"), ("port=eighty", "port")])
def test_bad_override_is_named(override, key):
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("dashboard", [override])
    text = str(info.value) + str(info.value.__cause__)
    assert key in text


def test_port_out_of_range_is_an_error_naming_it():
    cfg = compose_config("dashboard", ["port=70000"])
    with pytest.raises(ValueError, match=r"port=70000: a port must be in 1\.\.65535"):
        serve(cfg)
