"""``ec2_import_image.awsconfig.files``: the botocore-free reader agrees with v2's botocore.

The paths that send nothing (errors, skeletons, help, the pager, auto-prompt) read a
few CLI settings through this module; these tests pin its rules to botocore's, and
check the session's own configuration chains where v2's botocore differs from PyPI's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ec2_import_image.awsconfig import files as config
from ec2_import_image.awsconfig.files import ConfigFiles, SettingsProblem
from tests.support.runner import Harness


def files(tmp_path: Path, config_text: str = "", credentials_text: str = "") -> dict[str, str]:
    (tmp_path / "config").write_text(config_text)
    (tmp_path / "credentials").write_text(credentials_text)
    return {
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }


@pytest.mark.parametrize(
    ("given", "environ", "expected"),
    [
        (None, {}, "default"),
        (None, {"AWS_DEFAULT_PROFILE": "b"}, "b"),
        (None, {"AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"}, "a"),
        ("c", {"AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"}, "c"),
        ("", {"AWS_PROFILE": "a"}, "a"),
        (None, {"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "b"}, "b"),
    ],
)
def test_profile_name(given: str | None, environ: dict[str, str], expected: str) -> None:
    assert config.profile_name(environ, given) == expected


def test_sections_as_botocore_reads_them(tmp_path: Path) -> None:
    environ = files(
        tmp_path,
        "[default]\na = 1\n[profile x]\nb = 2\n[profile   spaced]\nc = 3\n"
        '[profile "two words"]\nd = 4\n[preview]\ne = 5\n[profile a b c]\nf = 6\n'
        "[sso-session s]\ng = 7\n[services t]\nh = 8\n",
    )
    assert ConfigFiles(environ).load_profiles() == {
        "default": {"a": "1"},
        "x": {"b": "2"},
        "spaced": {"c": "3"},
        "two words": {"d": "4"},
    }


def test_credentials_file_values_are_laid_over(tmp_path: Path) -> None:
    environ = files(
        tmp_path,
        "[default]\ncli_pager = less\nregion = eu-west-1\n",
        "[default]\ncli_pager = more\n[profile x]\ny = 1\n[only]\nz = 2\n",
    )
    profiles = ConfigFiles(environ).load_profiles()
    assert profiles["default"] == {"cli_pager": "more", "region": "eu-west-1"}
    assert profiles["profile x"] == {"y": "1"}  # a credentials section name is the name
    assert profiles["only"] == {"z": "2"}
    assert ConfigFiles(environ).setting("cli_pager") == "more"


def test_paths_expand_variables_and_home(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "SUB": "dir", "AWS_CONFIG_FILE": "~/$SUB/${SUB}.ini"}
    assert config.config_path(environ) == f"{tmp_path}/dir/dir.ini"
    assert config.credentials_path({"HOME": str(tmp_path)}) == f"{tmp_path}/.aws/credentials"
    assert config.expand_path("$UNSET/x", {}) == "$UNSET/x"


def test_missing_and_unreadable_files_are_empty(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path)}
    assert ConfigFiles(environ).read_profile() == {}
    (tmp_path / "bad").write_text("[default\nx = 1\n")
    assert ConfigFiles({**environ, "AWS_CONFIG_FILE": str(tmp_path / "bad")}).read_profile() == {}


@pytest.mark.parametrize(
    ("given", "environ", "missing"),
    [
        (None, {}, False),  # no name: an absent default is an empty profile
        ("default", {}, True),
        (None, {"AWS_PROFILE": "nope"}, True),
        (None, {"AWS_DEFAULT_PROFILE": "x"}, False),
        ("only", {}, False),  # from the credentials file
    ],
)
def test_profile_missing(
    tmp_path: Path, given: str | None, environ: dict[str, str], missing: bool
) -> None:
    base = files(tmp_path, "[profile x]\na = 1\n", "[only]\nb = 2\n")
    assert ConfigFiles({**base, **environ}).profile_missing(given) is missing


@pytest.mark.parametrize(
    ("environ", "given", "expected"),
    [
        ({}, None, "json"),
        ({"AWS_CLI_ERROR_FORMAT": "YAML"}, None, "YAML"),
        ({"AWS_CLI_ERROR_FORMAT": ""}, None, ""),
        ({}, "nope", "legacy"),  # v2's lookup fails: plain message
        ({"AWS_PROFILE": "nope"}, None, "legacy"),
        ({"AWS_CLI_ERROR_FORMAT": "text"}, "nope", "text"),  # the variable is read first
        ({"AWS_PROFILE": "x"}, None, "table"),
    ],
)
def test_error_format_setting(
    tmp_path: Path, environ: dict[str, str], given: str | None, expected: str
) -> None:
    base = files(
        tmp_path, "[default]\ncli_error_format = json\n[profile x]\ncli_error_format = table\n"
    )
    assert ConfigFiles({**base, **environ}).error_format_setting(given) == expected


@pytest.mark.parametrize(
    ("config_text", "credentials_text", "which"),
    [
        ("", "", None),
        ("[default\nx = 1\n", "", "config"),
        ("[default]\nx = 1\n", "no section\n", "credentials"),
        ("[default]\ns3 =\n  no value here\n", "", "config"),
        ("[default]\ns3 =\n  addressing_style = path\n", "", None),
        ("[default]\na = 1\n[default]\nb = 2\n", "", "config"),
    ],
    ids=["fine", "config", "credentials", "nested", "nested-fine", "duplicate"],
)
def test_parse_problem(
    tmp_path: Path, config_text: str, credentials_text: str, which: str | None
) -> None:
    environ = files(tmp_path, config_text, credentials_text)
    expected = None if which is None else f"Unable to parse config file: {tmp_path / which}"
    assert config.parse_problem(environ) == expected


def test_parse_problem_ignores_missing_files(tmp_path: Path) -> None:
    assert config.parse_problem({"HOME": str(tmp_path)}) is None


@pytest.mark.parametrize(
    ("config_text", "option", "expected"),
    [
        ("", None, None),
        ("cli_timestamp_format = wire\ncli_binary_format = raw-in-base64-out\n", None, None),
        (
            "cli_timestamp_format = epoch\ncli_binary_format = hex\n",
            None,
            SettingsProblem(
                'Unknown cli_timestamp_format value: epoch, valid values are "wire" or "iso8601"',
                configuration=True,
            ),
        ),
        ("cli_binary_format = hex\n", None, SettingsProblem("'hex'", configuration=False)),
        ("cli_binary_format = hex\n", "base64", None),  # the option wins
    ],
)
def test_cli_settings_problem(
    tmp_path: Path, config_text: str, option: str | None, expected: SettingsProblem | None
) -> None:
    environ = files(tmp_path, "[default]\n" + config_text)
    assert ConfigFiles(environ).cli_settings_problem(None, option) == expected


def test_cli_settings_of_a_missing_profile_are_defaults(tmp_path: Path) -> None:
    environ = files(tmp_path, "[default]\ncli_binary_format = hex\n")
    assert ConfigFiles(environ).cli_settings_problem("nope") is None


# -- the session's chains where v2's botocore differs from PyPI's ---------------------------


def session_variable(harness: Harness, name: str, env: dict[str, str]) -> object:
    """The setting as the drop-in's session resolves it, from the run's variables only."""
    from ec2_import_image.dropin.cli.globalopts import GlobalOptions
    from ec2_import_image.dropin.service.session import create_session
    from ec2_import_image.environment import Environment

    environment = Environment(environ=harness.environment(env))
    with environment.process_environment():
        session = create_session(GlobalOptions(), environment.environ)
        return session.get_config_variable(name)


def test_tcp_keepalive_comes_from_the_profile_only(harness: Harness) -> None:
    assert session_variable(harness, "tcp_keepalive", {"BOTOCORE_TCP_KEEPALIVE": "true"}) is None
    harness.write(".aws/config", "[default]\ntcp_keepalive = true\n")
    assert session_variable(harness, "tcp_keepalive", {}) is True
    harness.write(".aws/config", "[default]\ntcp_keepalive = false\n")
    assert session_variable(harness, "tcp_keepalive", {}) is False


@pytest.mark.parametrize(
    ("name", "env", "expected"),
    [
        ("sts_regional_endpoints", {"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "regional"),
        ("defaults_mode", {"AWS_DEFAULTS_MODE": "standard"}, "legacy"),
        ("retry_mode", {}, "standard"),
        ("retry_mode", {"AWS_RETRY_MODE": "adaptive"}, "adaptive"),
        ("output", {}, "json"),
        ("profile", {"AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"}, "a"),
        ("region", {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-2"}, "eu-west-1"),
    ],
)
def test_session_chains(harness: Harness, name: str, env: dict[str, str], expected: str) -> None:
    assert session_variable(harness, name, env) == expected


def test_credential_cache_follows_home(harness: Harness) -> None:
    from ec2_import_image.awsconfig.chain import credential_cache_dir

    expected = str(harness.home / ".aws" / "cli" / "cache")
    assert credential_cache_dir(harness.environment()) == expected
