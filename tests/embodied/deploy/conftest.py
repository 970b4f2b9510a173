"""A real roscore and a rosbridge relay on loopback, shared by the deploy tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from embodied.deploy.launch import free_port, ros_environment, start_relay, start_roscore, stop


@pytest.fixture(scope="session")
def roscore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``roscore`` on a free loopback port; ROS_MASTER_URI points at it for the session."""
    port, home = free_port(), tmp_path_factory.mktemp("ros_home")
    env = ros_environment(port, home)
    saved = {key: os.environ.get(key) for key in env}
    process = start_roscore(port, home)
    os.environ.update(env)
    try:
        yield env["ROS_MASTER_URI"]
    finally:
        stop(process)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def ros_node(roscore: str) -> str:
    """This test process as one rospy node (rospy allows one per process)."""
    import rospy

    rospy.init_node("deploy_tests", anonymous=True, disable_signals=True)
    return roscore


@pytest.fixture(scope="session")
def rosbridge_port() -> Iterator[int]:
    """The rosbridge v2 relay (embodied.deploy.rosbridge_relay) on a free loopback port."""
    port = free_port()
    process = start_relay(port)
    try:
        yield port
    finally:
        stop(process)


@pytest.fixture(scope="session")
def wm_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small (untrained) world-model checkpoint for the reach arm's spaces."""
    from worldmodels.checkpoint import save_checkpoint
    from worldmodels.config import WorldModelConfig
    from worldmodels.model import WorldModel

    cfg = WorldModelConfig(latent_dim=32, hidden_dim=32, encoder_dim=32, decoder=False)
    model = WorldModel(cfg, {"proprio": (6,)}, action_dim=3)
    return str(save_checkpoint(tmp_path_factory.mktemp("wm"), 0, model, {}))
