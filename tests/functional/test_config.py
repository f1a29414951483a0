"""The configuration chain as AWS CLI v2.36.7 resolves it (checked against v2 run from source).

Files, variables and options are set up in a temporary HOME; what the tool resolved
is read off the request the loopback Stub received (the SigV4 credential scope names
the access key and the region) or off the output.  Nothing here reaches beyond
loopback: instance metadata is either disabled or pointed at a loopback server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_aws import FakeAws, Reply
from tests.support.runner import Harness, Run
from tests.support.sigv4 import signer
from tests.support.tls import OPENSSL, TlsFront, self_signed

IMPORT = ["ec2", "import-image"]
TASK_ID = "import-ami-1234567890abcdef0"
NO_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
NO_IMDS = {"AWS_EC2_METADATA_DISABLED": "true"}

CONFIG = """\
[default]
region = us-west-2

[profile p]
region = ap-south-1
output = text

[profile q]
region = eu-west-3
output = table
"""
CREDENTIALS = """\
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[p]
aws_access_key_id = AKIDP
aws_secret_access_key = p-secret

[q]
aws_access_key_id = AKIDQ
aws_secret_access_key = q-secret
"""


pytestmark = pytest.mark.usefixtures("import_image_answers")


@pytest.fixture
def profiles(harness: Harness) -> Harness:
    harness.write(".aws/config", CONFIG)
    harness.write(".aws/credentials", CREDENTIALS)
    return harness


def send(
    harness: Harness,
    *args: str,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    endpoint: bool = True,
) -> Run:
    prefix = ["--endpoint-url", harness.endpoint] if endpoint else []
    return harness.run([*prefix, *args], env={**NO_IMDS, **(env or {})}, unset=unset)


def sent_by(result: Run) -> tuple[str, str]:
    """(access key id, region) of the one request the run sent."""
    assert result.rc == 0, result.stderr
    assert len(result.requests) == 1
    who = signer(result.requests[0].headers)
    assert who.service == "ec2"
    return who.key_id, who.region


# -- the profile ---------------------------------------------------------------------------


def test_aws_profile_is_read_before_aws_default_profile(profiles: Harness) -> None:
    env = {"AWS_PROFILE": "p", "AWS_DEFAULT_PROFILE": "q"}
    result = send(profiles, *IMPORT, env=env, unset=(*NO_KEYS, "AWS_DEFAULT_REGION"))
    assert sent_by(result) == ("AKIDP", "ap-south-1")
    assert result.stdout.startswith(TASK_ID + "\t")  # the profile's output = text


def test_aws_default_profile_alone_names_the_profile(profiles: Harness) -> None:
    env = {"AWS_DEFAULT_PROFILE": "q"}
    result = send(profiles, *IMPORT, env=env, unset=(*NO_KEYS, "AWS_DEFAULT_REGION"))
    assert sent_by(result) == ("AKIDQ", "eu-west-3")
    assert result.stdout.startswith("-")  # the profile's output = table


def test_profile_option_beats_both_variables(profiles: Harness) -> None:
    env = {"AWS_PROFILE": "p", "AWS_DEFAULT_PROFILE": "p"}
    result = send(
        profiles, "--profile", "q", *IMPORT, env=env, unset=(*NO_KEYS, "AWS_DEFAULT_REGION")
    )
    assert sent_by(result) == ("AKIDQ", "eu-west-3")


def test_environment_keys_beat_the_profile_named_by_aws_profile(profiles: Harness) -> None:
    result = send(profiles, *IMPORT, env={"AWS_PROFILE": "p"})
    assert sent_by(result) == ("AKIDEXAMPLE", "us-east-1")


def test_profile_option_beats_environment_keys(profiles: Harness) -> None:
    result = send(profiles, "--profile", "p", *IMPORT)
    assert sent_by(result) == ("AKIDP", "us-east-1")  # AWS_DEFAULT_REGION still wins


def test_empty_profile_option_means_no_profile(profiles: Harness) -> None:
    result = send(profiles, "--profile=", *IMPORT, unset=(*NO_KEYS, "AWS_DEFAULT_REGION"))
    assert sent_by(result) == ("AKIDDEFAULT", "us-west-2")


def test_profile_only_in_the_credentials_file(harness: Harness) -> None:
    harness.write(
        ".aws/credentials", "[only]\naws_access_key_id = AKIDONLY\naws_secret_access_key = x\n"
    )
    result = send(harness, "--profile", "only", *IMPORT, unset=NO_KEYS)
    assert sent_by(result) == ("AKIDONLY", "us-east-1")


def test_quoted_profile_section_name(harness: Harness) -> None:
    harness.write(".aws/config", '[profile "my team"]\nregion = eu-west-2\n')
    harness.write(
        ".aws/credentials", "[my team]\naws_access_key_id = AKIDTEAM\naws_secret_access_key = x\n"
    )
    result = send(harness, "--profile", "my team", *IMPORT, unset=(*NO_KEYS, "AWS_DEFAULT_REGION"))
    assert sent_by(result) == ("AKIDTEAM", "eu-west-2")


def test_a_later_section_of_the_same_profile_replaces_the_earlier(harness: Harness) -> None:
    harness.write(
        ".aws/config", "[default]\nregion = eu-west-1\n\n[profile default]\noutput = text\n"
    )
    result = send(harness, *IMPORT, unset=("AWS_DEFAULT_REGION",), env={"AWS_MAX_ATTEMPTS": "1"})
    # [profile default] came last: its output applies, and the region of [default] is gone
    assert result.rc == 253
    assert "You must specify a region" in result.stderr


def test_credentials_file_values_apply_to_cli_settings(harness: Harness) -> None:
    harness.write(".aws/credentials", "[default]\nregion = sa-east-1\noutput = text\n")
    result = send(harness, *IMPORT, unset=("AWS_DEFAULT_REGION",))
    assert sent_by(result) == ("AKIDEXAMPLE", "sa-east-1")
    assert result.stdout.startswith(TASK_ID + "\t")


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
def test_missing_profile_named_by_a_variable(harness: Harness, variable: str) -> None:
    result = send(harness, *IMPORT, env={variable: "nope"})
    assert (result.rc, result.stderr) == (
        255,
        "\naws: [ERROR]: The config profile (nope) could not be found\n",
    )
    assert result.requests == []


def test_default_profile_named_explicitly_must_exist(harness: Harness) -> None:
    result = send(harness, *IMPORT, env={"AWS_PROFILE": "default"})
    assert (result.rc, result.stderr) == (
        255,
        "\naws: [ERROR]: The config profile (default) could not be found\n",
    )


def test_missing_profile_does_not_stop_what_sends_nothing(harness: Harness) -> None:
    result = harness.run([*IMPORT, "--generate-cli-skeleton"], env={"AWS_PROFILE": "nope"})
    assert result.rc == 0
    assert result.stdout.startswith("{\n")


# -- where the files are -------------------------------------------------------------------


def test_config_and_credentials_files_from_the_variables(harness: Harness) -> None:
    harness.write("elsewhere/conf", "[profile x]\nregion = ca-central-1\n")
    harness.write("elsewhere/creds", "[x]\naws_access_key_id = AKIDX\naws_secret_access_key = y\n")
    env = {
        "AWS_CONFIG_FILE": str(harness.home / "elsewhere" / "conf"),
        "AWS_SHARED_CREDENTIALS_FILE": str(harness.home / "elsewhere" / "creds"),
        "AWS_PROFILE": "x",
    }
    result = send(harness, *IMPORT, env=env, unset=(*NO_KEYS, "AWS_DEFAULT_REGION"))
    assert sent_by(result) == ("AKIDX", "ca-central-1")


def test_file_variables_expand_home_and_variables(harness: Harness) -> None:
    harness.write("cfg/conf", "[default]\nregion = ap-northeast-1\n")
    harness.write(
        "cfg/creds", "[default]\naws_access_key_id = AKIDEXP\naws_secret_access_key = y\n"
    )
    env = {
        "CFGDIR": "cfg",
        "AWS_CONFIG_FILE": "~/$CFGDIR/conf",
        "AWS_SHARED_CREDENTIALS_FILE": "~/${CFGDIR}/creds",
    }
    result = send(harness, *IMPORT, env=env, unset=(*NO_KEYS, "AWS_DEFAULT_REGION"))
    assert sent_by(result) == ("AKIDEXP", "ap-northeast-1")


def test_default_file_locations_are_under_home(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\nregion = eu-south-1\n")
    harness.write(
        ".aws/credentials", "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = y\n"
    )
    unset = (*NO_KEYS, "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    result = send(harness, *IMPORT, unset=unset)
    assert sent_by(result) == ("AKIDHOME", "eu-south-1")


def test_unparsable_config_file_is_reported_when_sending(harness: Harness) -> None:
    path = harness.write(".aws/config", "[default\nregion = x\n")
    result = send(harness, *IMPORT)
    assert (result.rc, result.stderr) == (
        255,
        f"\naws: [ERROR]: Unable to parse config file: {path}\n",
    )


# -- the region ----------------------------------------------------------------------------


def test_aws_region_beats_aws_default_region(profiles: Harness) -> None:
    result = send(profiles, *IMPORT, env={"AWS_REGION": "eu-north-1"})
    assert sent_by(result)[1] == "eu-north-1"


def test_region_option_beats_aws_region(profiles: Harness) -> None:
    result = send(profiles, "--region", "me-south-1", *IMPORT, env={"AWS_REGION": "eu-north-1"})
    assert sent_by(result)[1] == "me-south-1"


def test_region_variables_beat_the_profile(profiles: Harness) -> None:
    result = send(profiles, *IMPORT, env={"AWS_DEFAULT_REGION": "af-south-1"})
    assert sent_by(result)[1] == "af-south-1"


def test_region_from_the_instance_metadata_service_last(harness: Harness, fake: FakeAws) -> None:
    fake.imds(None, None, zone="eu-central-1b")
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT], env=env, unset=("AWS_DEFAULT_REGION",)
    )
    assert sent_by(result)[1] == "eu-central-1"
    assert [(r.method, r.route) for r in fake.requests] == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/placement/availability-zone/"),
    ]


def test_profile_region_is_used_before_instance_metadata(harness: Harness, fake: FakeAws) -> None:
    fake.imds(None, None, zone="eu-central-1b")
    harness.write(".aws/config", "[default]\nregion = us-east-2\n")
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT], env=env, unset=("AWS_DEFAULT_REGION",)
    )
    assert sent_by(result)[1] == "us-east-2"
    assert fake.requests == []


def test_region_lookup_refused_by_instance_metadata(harness: Harness, fake: FakeAws) -> None:
    """v2's region provider gives up on an HTTP 400 from IMDS: no region, not a crash."""
    fake.routes["PUT", "/latest/api/token"] = lambda _: Reply(400, "", "text/plain")
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT], env=env, unset=("AWS_DEFAULT_REGION",)
    )
    assert (result.rc, result.stderr) == (
        253,
        "\naws: [ERROR]: An error occurred (NoRegion): You must specify a region. "
        'You can also configure your region by running "aws configure".\n',
    )


def test_availability_zone_becomes_a_region_by_its_last_letter(
    harness: Harness, fake: FakeAws
) -> None:
    fake.imds(None, None, zone="eu-west-3")  # no zone letter: v2 cuts the "3"
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT], env=env, unset=("AWS_DEFAULT_REGION",)
    )
    assert (result.rc, result.stderr) == (
        255,
        "\naws: [ERROR]: Provided region_name 'eu-west-' doesn't match a supported format.\n",
    )


# -- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "config_text", "message"),
    [
        (
            {"AWS_RETRY_MODE": "legacy"},
            "",
            'Invalid value provided to "mode": "legacy" must be one of: "standard" or "adaptive"',
        ),
        (
            {},
            "retry_mode = STANDARD\n",
            'Invalid value provided to "mode": "STANDARD" must be one of: "standard" or "adaptive"',
        ),
        (
            {"AWS_MAX_ATTEMPTS": "0"},
            "",
            'Value provided to "max_attempts": 0 must be an integer greater than or equal to one.',
        ),
        (
            {},
            "max_attempts = -2\n",
            'Value provided to "max_attempts": -2 must be an integer greater than or equal to one.',
        ),
        ({"AWS_MAX_ATTEMPTS": "abc"}, "", "invalid literal for int() with base 10: 'abc'"),
        (
            {"AWS_MAX_ATTEMPTS": "0", "AWS_RETRY_MODE": "legacy"},
            "",
            'Value provided to "max_attempts": 0 must be an integer greater than or equal to one.',
        ),
    ],
    ids=[
        "legacy-mode",
        "mode-case",
        "zero-attempts",
        "negative-attempts",
        "not-a-number",
        "attempts-first",
    ],
)
def test_retry_settings_v2_refuses(
    harness: Harness, env: dict[str, str], config_text: str, message: str
) -> None:
    harness.write(".aws/config", "[default]\n" + config_text)
    result = send(harness, *IMPORT, env=env)
    assert (result.rc, result.stderr) == (255, f"\naws: [ERROR]: {message}\n")
    assert result.requests == []


@pytest.mark.parametrize(
    ("env", "attempts"),
    [({}, 3), ({"AWS_MAX_ATTEMPTS": "2"}, 2), ({"AWS_RETRY_MODE": "adaptive"}, 3)],
)
def test_retry_settings_v2_accepts(harness: Harness, env: dict[str, str], attempts: int) -> None:
    harness.stub.replies = {"ImportImage": [{"status": 503, "body": b""}]}
    result = send(harness, *IMPORT, env=env)
    assert result.rc == 254  # the service error, once the attempts are used up
    assert len(result.requests) == attempts


def test_no_region_anywhere(harness: Harness) -> None:
    result = send(harness, *IMPORT, unset=("AWS_DEFAULT_REGION",))
    assert (result.rc, result.stderr) == (
        253,
        "\naws: [ERROR]: An error occurred (NoRegion): You must specify a region. "
        'You can also configure your region by running "aws configure".\n',
    )


# -- the output format ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "config", "option", "starts"),
    [
        ({}, "", None, "{\n"),
        ({}, "output = text\n", None, TASK_ID + "\t"),
        ({"AWS_DEFAULT_OUTPUT": "yaml"}, "output = text\n", None, "ImportTaskId: "),
        ({"AWS_DEFAULT_OUTPUT": "yaml"}, "output = text\n", "table", "-"),
    ],
    ids=["default-json", "profile", "variable-beats-profile", "option-beats-all"],
)
def test_output_chain(
    harness: Harness, env: dict[str, str], config: str, option: str | None, starts: str
) -> None:
    harness.write(".aws/config", "[default]\n" + config)
    args = ["--output", option] if option else []
    result = send(harness, *IMPORT, *args, env=env)
    assert result.rc == 0
    assert result.stdout.startswith(starts)


# -- endpoints -----------------------------------------------------------------------------


def test_aws_endpoint_url(harness: Harness) -> None:
    result = send(harness, *IMPORT, env={"AWS_ENDPOINT_URL": harness.endpoint}, endpoint=False)
    assert sent_by(result)[0] == "AKIDEXAMPLE"


def test_service_specific_endpoint_variable_beats_the_global_one(harness: Harness) -> None:
    env = {"AWS_ENDPOINT_URL_EC2": harness.endpoint, "AWS_ENDPOINT_URL": harness.dead_endpoint}
    assert send(harness, *IMPORT, env=env, endpoint=False).rc == 0


def test_endpoint_url_in_the_profile(harness: Harness) -> None:
    harness.write(".aws/config", f"[default]\nendpoint_url = {harness.endpoint}\n")
    assert sent_by(send(harness, *IMPORT, endpoint=False))[0] == "AKIDEXAMPLE"


def test_services_section_beats_the_profile_endpoint(harness: Harness) -> None:
    harness.write(
        ".aws/config",
        f"[default]\nservices = local\nendpoint_url = {harness.dead_endpoint}\n\n"
        f"[services local]\nec2 =\n  endpoint_url = {harness.endpoint}\n",
    )
    assert send(harness, *IMPORT, endpoint=False).rc == 0


def test_variables_beat_the_config_file_endpoints(harness: Harness) -> None:
    harness.write(".aws/config", f"[default]\nendpoint_url = {harness.dead_endpoint}\n")
    env = {"AWS_ENDPOINT_URL_EC2": harness.endpoint}
    assert send(harness, *IMPORT, env=env, endpoint=False).rc == 0


def test_endpoint_option_beats_every_configured_endpoint(harness: Harness) -> None:
    harness.write(".aws/config", f"[default]\nendpoint_url = {harness.dead_endpoint}\n")
    env = {"AWS_ENDPOINT_URL_EC2": harness.dead_endpoint, "AWS_ENDPOINT_URL": harness.dead_endpoint}
    assert send(harness, *IMPORT, env=env).rc == 0


def test_configured_endpoint_without_scheme(harness: Harness) -> None:
    result = send(harness, *IMPORT, env={"AWS_ENDPOINT_URL_EC2": "127.0.0.1:9"}, endpoint=False)
    assert (result.rc, result.stderr) == (255, "\naws: [ERROR]: Invalid endpoint: 127.0.0.1:9\n")


def test_ignore_configured_endpoint_urls(harness: Harness, fake: FakeAws) -> None:
    """With the setting on, the regional AWS endpoint is used (seen here through a proxy)."""
    harness.write(".aws/config", f"[default]\nendpoint_url = {harness.endpoint}\n")
    env = {
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        "AWS_ENDPOINT_URL": harness.endpoint,
        "HTTPS_PROXY": fake.endpoint,
        "AWS_MAX_ATTEMPTS": "1",
    }
    result = send(harness, *IMPORT, env=env, endpoint=False)
    assert result.rc == 255
    assert result.stderr == f'\naws: [ERROR]: Failed to connect to proxy URL: "{fake.endpoint}"\n'
    assert fake.connect_targets == ["ec2.us-east-1.amazonaws.com:443"]
    assert result.requests == []


def test_defaults_mode_is_not_a_v2_setting(harness: Harness) -> None:
    """v2's botocore has no defaults_mode: any value, even an invalid one, is ignored."""
    assert send(harness, *IMPORT, env={"AWS_DEFAULTS_MODE": "bogus"}).rc == 0


def test_api_versions_are_not_a_v2_setting(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\napi_versions =\n  ec2 = 2015-10-01\n")
    result = send(harness, *IMPORT)
    assert result.rc == 0
    assert ("Version", "2016-11-15") in result.requests[0].form


# -- the CA bundle -------------------------------------------------------------------------

needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")


@pytest.fixture
def tls(harness: Harness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS endpoint in front of the Stub, and the CA bundle that verifies it."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    port = int(harness.endpoint.rsplit(":", 1)[1])
    with TlsFront(cert, key, port) as front:
        yield front.endpoint, cert


def https(harness: Harness, endpoint: str, *args: str, env: dict[str, str] | None = None) -> Run:
    return harness.run(
        ["--endpoint-url", endpoint, *IMPORT, "--output", "text", *args],
        env={**NO_IMDS, "AWS_MAX_ATTEMPTS": "1", **(env or {})},
    )


def refused(result: Run, endpoint: str) -> bool:
    return result.rc == 255 and result.stderr.startswith(
        f"\naws: [ERROR]: SSL validation failed for {endpoint}/ "
    )


@needs_openssl
def test_tls_endpoint_unknown_to_the_default_bundle(
    harness: Harness, tls: tuple[str, Path]
) -> None:
    endpoint, _ = tls
    result = https(harness, endpoint)
    assert refused(result, endpoint), result.stderr
    assert result.requests == []


@needs_openssl
@pytest.mark.parametrize("source", ["option", "variable", "profile"])
def test_ca_bundle_sources(harness: Harness, tls: tuple[str, Path], source: str) -> None:
    endpoint, cert = tls
    args: list[str] = []
    env: dict[str, str] = {}
    if source == "option":
        args = ["--ca-bundle", str(cert)]
    elif source == "variable":
        env = {"AWS_CA_BUNDLE": str(cert)}
    else:
        harness.write(".aws/config", f"[default]\nca_bundle = {cert}\n")
    result = https(harness, endpoint, *args, env=env)
    assert result.rc == 0, result.stderr
    assert result.stdout.startswith(TASK_ID + "\t")
    assert len(result.requests) == 1


@needs_openssl
def test_ca_bundle_option_beats_the_variable(harness: Harness, tls: tuple[str, Path]) -> None:
    endpoint, cert = tls
    other = harness.write("other.pem", "")
    result = https(harness, endpoint, "--ca-bundle", str(other), env={"AWS_CA_BUNDLE": str(cert)})
    assert refused(result, endpoint), result.stderr


@needs_openssl
def test_ca_bundle_variable_beats_the_profile(harness: Harness, tls: tuple[str, Path]) -> None:
    endpoint, cert = tls
    harness.write(".aws/config", f"[default]\nca_bundle = {cert}\n")
    missing = harness.home / "missing.pem"
    result = https(harness, endpoint, env={"AWS_CA_BUNDLE": str(missing)})
    assert result.rc == 255
    assert result.stderr == (
        f"\naws: [ERROR]: SSL validation failed for {endpoint}/ "
        "[Errno 2] No such file or directory\n"
    )


@needs_openssl
def test_no_verify_ssl_beats_every_bundle(harness: Harness, tls: tuple[str, Path]) -> None:
    """The request goes through, with urllib3's warning on stderr (as with v2)."""
    endpoint, _ = tls
    missing = str(harness.home / "missing.pem")
    result = harness.run_process(
        [
            *["--endpoint-url", endpoint, *IMPORT, "--output", "text"],
            *["--no-verify-ssl", "--ca-bundle", missing],
        ],
        env={**NO_IMDS, "AWS_MAX_ATTEMPTS": "1"},
    )
    assert result.rc == 0, result.stderr
    assert result.stdout.startswith(TASK_ID + "\t")
    assert (
        "InsecureRequestWarning: Unverified HTTPS request is being made to host '127.0.0.1'"
        in result.stderr
    )
    assert len(result.requests) == 1


def test_ca_bundle_does_not_matter_over_http(harness: Harness) -> None:
    result = send(harness, *IMPORT, "--ca-bundle", str(harness.home / "nope.pem"))
    assert result.rc == 0


# -- v2 behaviour that needs a change outside the configuration code (see config.py) --------


@pytest.mark.parametrize(
    "argv",
    [["--version"], [*IMPORT, "--generate-cli-skeleton"], [*IMPORT, "help"]],
    ids=["version", "skeleton", "help"],
)
def test_unparsable_config_file_ends_every_command(harness: Harness, argv: list[str]) -> None:
    path = harness.write(".aws/credentials", "[default\n")
    result = harness.run(argv)
    assert (result.rc, result.stdout) == (255, "")
    assert result.stderr == f"\naws: [ERROR]: Unable to parse config file: {path}\n"


def test_invalid_binary_format_in_the_profile(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\ncli_binary_format = hex\n")
    result = harness.run([*IMPORT, "--generate-cli-skeleton"])
    assert (result.rc, result.stdout, result.stderr) == (255, "", "\naws: [ERROR]: 'hex'\n")


def test_binary_format_option_overrides_the_profile(harness: Harness) -> None:
    harness.write(".aws/config", "[default]\ncli_binary_format = hex\n")
    result = harness.run([*IMPORT, "--generate-cli-skeleton", "--cli-binary-format", "base64"])
    assert result.rc == 0


def test_errors_are_plain_when_the_named_profile_is_missing(harness: Harness) -> None:
    """v2's error handler fails to read cli_error_format and prints the bare message."""
    result = harness.run(["--profile", "nope", *IMPORT, "--disk-containers", "Foo"])
    assert (result.rc, result.stderr) == (
        252,
        "\naws: [ERROR]: Error parsing parameter '--disk-containers': Expected: '=', "
        "received: 'EOF' for input:\n Foo\n   ^\n",
    )
