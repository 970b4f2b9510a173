"""The command-line check every entry point runs before hydra (runkit/command_line.py)."""

import pytest

import embodied.config  # noqa: F401  (registers the episode and agent schemas)
from runkit import UsageError
from runkit.command_line import check_overrides
from runkit.hydra_app import CONFIG_DIR, config_groups, usage_error_in
from tests.hydra_compose import compose_config


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["env=cartpole-balance"], ["env=cartpole_balance"]),  # the README's spelling
        (
            ["env=dmc-cartpole-swingup", "agent=mpc-sim"],
            ["env=dmc_cartpole_swingup", "agent=mpc_sim"],
        ),
        (["env=cartpole-balance,reach"], ["env=cartpole_balance,reach"]),  # a sweep's options too
        (["+env.options.pole_length=2"], ["+env.options.pole_length=2"]),  # a free dict takes keys
        (["+env.options.a.b=2"], ["+env.options.a.b=2"]),  # and nested ones
        (["episodes=2", "env.max_episode_steps=10"], ["episodes=2", "env.max_episode_steps=10"]),
        (
            ["hydra/launcher=ray", "hydra.job.chdir=false"],
            ["hydra/launcher=ray", "hydra.job.chdir=false"],
        ),
    ],
    ids=["dash", "two-groups", "sweep", "plus-free-dict", "plus-nested", "plain", "hydra-settings"],
)
def test_accepted_command_lines_come_back_spelt_as_on_disk(overrides, expected):
    assert check_overrides(CONFIG_DIR, "episode", overrides) == expected


MEANT = r"\(did you mean {}\?\)"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "env=cartpol_balance",
            rf"^env=cartpol_balance: no such option {MEANT.format('cartpole_balance')}; "
            "valid: cartpole_balance, ",
        ),
        ("env=env_schema", r"^env=env_schema: no such option; valid: (?!.*_schema)"),
        (
            "+episods=2",
            rf"^\+episods=2: unknown key 'episods' {MEANT.format('episodes')}; \+ cannot add keys",
        ),
        (
            "episods=2",
            rf"^episods=2: unknown key 'episods' {MEANT.format('episodes')}; valid keys: agent, ",
        ),
        (
            "+env.foo=1",
            r"^\+env.foo=1: unknown key 'foo'; \+ cannot add .*; valid keys of env: frame_skip",
        ),
        (
            "run.sed=1",
            rf"^run.sed=1: unknown key 'sed' {MEANT.format('seed')}; "
            "valid keys of run: device, progress, seed$",
        ),
        (
            "run.seed=abc",
            r"^run.seed=abc: Value 'abc' of type 'str' could not be converted to Integer",
        ),
        ("env.id=[", r"^env.id=\[: "),
    ],
    ids=[
        "option",
        "schema-option",
        "plus-key",
        "key",
        "plus-nested-key",
        "nested-key",
        "type",
        "syntax",
    ],
)
def test_mistakes_are_one_line_naming_the_override(override, message):
    with pytest.raises(UsageError, match=message) as caught:
        check_overrides(CONFIG_DIR, "episode", [override])
    assert "\n" not in str(caught.value)


def test_a_usage_error_is_found_behind_the_error_it_caused():
    usage = UsageError("checkpoint nope does not exist")
    try:
        try:
            raise usage
        except UsageError as error:
            raise RuntimeError("Error in call to target 'Agent'") from error
    except RuntimeError as wrapped:
        assert usage_error_in(wrapped) is usage
    assert usage_error_in(RuntimeError("a bug")) is None


def test_help_lists_the_entry_points_groups_without_schema_options():
    groups = config_groups(compose_config("episode")).splitlines()
    assert [line.split(":")[0] for line in groups] == ["agent", "env"]
    assert "cartpole_balance" in groups[1] and "_schema" not in "".join(groups)
