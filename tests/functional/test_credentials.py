"""Every credential source, as AWS CLI v2.36.7 resolves it (checked against v2 run from source).

Each test prepares one source in a temporary HOME and checks who signed the request the
loopback Stub received (access key id, region, session token).  The endpoints that
providers call (STS, the SSO portal, container credentials, instance metadata) are
``FakeAws`` servers on loopback; an HTTPS proxy on loopback shows which AWS host a client
would have called, without leaving the machine.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

import pytest

from tests.support.fake_aws import (
    ROLE_ARN,
    Creds,
    FakeAws,
    Reply,
    expiration,
    iso,
    sts_error,
)
from tests.support.runner import Harness, Run
from tests.support.sigv4 import Signer, signer

IMPORT = ["ec2", "import-image", "--output", "text"]
NO_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
NO_IMDS = {"AWS_EC2_METADATA_DISABLED": "true"}
START_URL = "https://example.awsapps.com/start"


pytestmark = pytest.mark.usefixtures("import_image_answers")


def send(
    harness: Harness,
    *args: str,
    env: dict[str, str] | None = None,
    keys: bool = False,
    imds: bool = False,
    process: bool = False,
) -> Run:
    """Run an import against the Stub; by default without environment keys or IMDS.

    ``process`` runs the tool in a subprocess: botocore fixes the SSO token cache
    directory from HOME when it is first imported, so a test of a HOME of its own
    needs a fresh process (as every real run is).
    """
    unset = () if keys else NO_KEYS
    base = {} if imds else NO_IMDS
    run = harness.run_process if process else harness.run
    return run(
        ["--endpoint-url", harness.endpoint, *args, *IMPORT],
        env={**base, **(env or {})},
        unset=unset,
    )


def signed(result: Run) -> Signer:
    assert result.rc == 0, result.stderr
    assert result.stdout.startswith("import-ami-1234567890abcdef0\t")
    assert len(result.requests) == 1
    who = signer(result.requests[0].headers)
    assert (who.service, who.region) == ("ec2", "us-east-1")
    return who


def signed_with(result: Run, creds: Creds) -> None:
    who = signed(result)
    assert (who.key_id, who.token) == (creds.access_key, creds.token)


def failed(result: Run, rc: int, message: str) -> None:
    assert (result.rc, result.stderr) == (rc, f"\naws: [ERROR]: {message}\n")
    assert result.requests == []


def cache_files(harness: Harness) -> list[Path]:
    directory = harness.home / ".aws" / "cli" / "cache"
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


# -- static keys ---------------------------------------------------------------------------


def test_environment_keys_and_session_token(harness: Harness) -> None:
    who = signed(send(harness, keys=True, env={"AWS_SESSION_TOKEN": "ENV-TOKEN"}))
    assert (who.key_id, who.token) == ("AKIDEXAMPLE", "ENV-TOKEN")


def test_legacy_security_token_variable(harness: Harness) -> None:
    who = signed(send(harness, keys=True, env={"AWS_SECURITY_TOKEN": "LEGACY-TOKEN"}))
    assert who.token == "LEGACY-TOKEN"


def test_environment_keys_without_a_token_send_none(harness: Harness) -> None:
    assert signed(send(harness, keys=True)).token is None


@pytest.mark.parametrize(
    ("path", "key_id", "token"),
    [(".aws/credentials", "AKIDFILE", "FILE-TOKEN"), (".aws/config", "AKIDCONFIG", "CONFIG-TOKEN")],
    ids=["credentials-file", "config-file"],
)
def test_keys_from_a_file(harness: Harness, path: str, key_id: str, token: str) -> None:
    harness.write(
        path,
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = s\n"
        f"aws_session_token = {token}\n",
    )
    who = signed(send(harness))
    assert (who.key_id, who.token) == (key_id, token)


def test_credentials_file_beats_config_file(harness: Harness) -> None:
    harness.write(
        ".aws/config", "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n"
    )
    harness.write(
        ".aws/credentials", "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = t\n"
    )
    assert signed(send(harness)).key_id == "AKIDCREDS"


def test_environment_beats_the_files(harness: Harness) -> None:
    harness.write(
        ".aws/credentials", "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = t\n"
    )
    assert signed(send(harness, keys=True)).key_id == "AKIDEXAMPLE"


def test_partial_environment_keys(harness: Harness) -> None:
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT], unset=("AWS_SECRET_ACCESS_KEY",)
    )
    failed(result, 255, "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY")


def test_partial_credentials_file(harness: Harness) -> None:
    harness.write(".aws/credentials", "[default]\naws_access_key_id = AKIDONLY\n")
    failed(
        send(harness),
        255,
        "Partial credentials found in shared-credentials-file, missing: aws_secret_access_key",
    )


def test_no_credentials_anywhere(harness: Harness) -> None:
    failed(
        send(harness),
        253,
        "An error occurred (NoCredentials): Unable to locate credentials. "
        'You can configure credentials by running "aws login".',
    )


def test_unsigned_requests_look_for_no_credentials(harness: Harness, fake: FakeAws) -> None:
    fake.imds("importer", Creds.named("imds"))
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = send(harness, "--no-sign-request", env=env, imds=True)
    assert result.rc == 0
    assert "authorization" not in result.requests[0].headers
    assert fake.requests == []


# -- assume role ---------------------------------------------------------------------------

SOURCE = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret-value\n"


def role_profile(extra: str = "source_profile = base\n") -> str:
    return f"[profile r]\nrole_arn = {ROLE_ARN}\n{extra}"


@pytest.fixture
def sts(fake: FakeAws) -> Creds:
    creds = Creds.named("sts")
    fake.sts(creds)
    return creds


def test_assume_role_with_a_source_profile(harness: Harness, fake: FakeAws, sts: Creds) -> None:
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    result = send(harness, "--profile", "r", env={"AWS_ENDPOINT_URL_STS": fake.endpoint})
    signed_with(result, sts)
    [call] = fake.seen("POST", "/")
    form = call.form
    assert (form["Action"], form["RoleArn"]) == ("AssumeRole", ROLE_ARN)
    assert form["RoleSessionName"].startswith("botocore-session-")
    source = signer(call.headers)  # STS is called with the source profile's keys
    assert (source.key_id, source.region, source.service) == ("AKIDBASE", "us-east-1", "sts")


def test_assume_role_options_are_sent(harness: Harness, fake: FakeAws, sts: Creds) -> None:
    harness.write(
        ".aws/config",
        role_profile(
            "source_profile = base\nexternal_id = ext-123\nduration_seconds = 1800\n"
            "role_session_name = my-session\n"
        ),
    )
    harness.write(".aws/credentials", SOURCE)
    signed_with(send(harness, "--profile", "r", env={"AWS_ENDPOINT_URL_STS": fake.endpoint}), sts)
    form = fake.seen("POST", "/")[0].form
    assert (form["ExternalId"], form["DurationSeconds"], form["RoleSessionName"]) == (
        "ext-123",
        "1800",
        "my-session",
    )


def test_assume_role_named_by_aws_profile(harness: Harness, fake: FakeAws, sts: Creds) -> None:
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    env = {"AWS_PROFILE": "r", "AWS_ENDPOINT_URL_STS": fake.endpoint}
    signed_with(send(harness, env=env), sts)


def test_environment_keys_beat_a_role_named_by_aws_profile(
    harness: Harness, fake: FakeAws, sts: Creds
) -> None:
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    env = {"AWS_PROFILE": "r", "AWS_ENDPOINT_URL_STS": fake.endpoint}
    assert signed(send(harness, env=env, keys=True)).key_id == "AKIDEXAMPLE"
    assert fake.requests == []


def test_role_beats_keys_in_the_same_profile(harness: Harness, fake: FakeAws, sts: Creds) -> None:
    harness.write(".aws/config", role_profile())
    harness.write(
        ".aws/credentials", SOURCE + "[r]\naws_access_key_id = AKIDR\naws_secret_access_key = x\n"
    )
    signed_with(send(harness, "--profile", "r", env={"AWS_ENDPOINT_URL_STS": fake.endpoint}), sts)


def test_assume_role_credentials_are_cached_as_v2_caches_them(
    harness: Harness, fake: FakeAws, sts: Creds
) -> None:
    """v2 keeps assumed-role credentials in ~/.aws/cli/cache and reuses them."""
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    env = {"AWS_ENDPOINT_URL_STS": fake.endpoint}
    signed_with(send(harness, "--profile", "r", env=env), sts)
    [path] = cache_files(harness)
    # botocore's cache key for this role: the SHA-1 of its arguments as sorted JSON
    key = json.dumps({"RoleArn": ROLE_ARN}, sort_keys=True)
    assert path.name == hashlib.sha1(key.encode()).hexdigest() + ".json"
    cached = json.loads(path.read_text())
    assert cached["Credentials"]["AccessKeyId"] == sts.access_key
    assert cached["Credentials"]["SessionToken"] == sts.token
    assert path.stat().st_mode & 0o077 == 0
    signed_with(send(harness, "--profile", "r", env=env), sts)
    assert fake.sts_actions == ["AssumeRole"]  # the second run used the cache


def test_expired_cached_credentials_are_refreshed(
    harness: Harness, fake: FakeAws, sts: Creds
) -> None:
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    env = {"AWS_ENDPOINT_URL_STS": fake.endpoint}
    signed_with(send(harness, "--profile", "r", env=env), sts)
    [path] = cache_files(harness)
    cached = json.loads(path.read_text())
    cached["Credentials"]["Expiration"] = iso(expiration(-1))
    path.write_text(json.dumps(cached))
    signed_with(send(harness, "--profile", "r", env=env), sts)
    assert fake.sts_actions == ["AssumeRole", "AssumeRole"]


def test_sts_endpoint_from_the_services_section(
    harness: Harness, fake: FakeAws, sts: Creds
) -> None:
    harness.write(
        ".aws/config",
        role_profile("source_profile = base\nservices = local\n")
        + f"\n[services local]\nsts =\n  endpoint_url = {fake.endpoint}\n",
    )
    harness.write(".aws/credentials", SOURCE)
    signed_with(send(harness, "--profile", "r"), sts)


def test_sts_is_regional_even_when_legacy_is_asked(harness: Harness, fake: FakeAws) -> None:
    """v2's botocore has no global STS endpoint: AWS_STS_REGIONAL_ENDPOINTS is ignored."""
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    env = {
        "AWS_STS_REGIONAL_ENDPOINTS": "legacy",
        "HTTPS_PROXY": fake.endpoint,
        "AWS_MAX_ATTEMPTS": "1",
    }
    result = send(harness, "--profile", "r", env=env)
    failed(result, 255, f'Failed to connect to proxy URL: "{fake.endpoint}"')
    assert fake.connect_targets == ["sts.us-east-1.amazonaws.com:443"]


def test_sts_follows_the_region_option(harness: Harness, fake: FakeAws) -> None:
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    env = {"HTTPS_PROXY": fake.endpoint, "AWS_MAX_ATTEMPTS": "1"}
    send(harness, "--profile", "r", "--region", "eu-west-1", env=env)
    assert fake.connect_targets == ["sts.eu-west-1.amazonaws.com:443"]


def test_credential_source_environment(harness: Harness, fake: FakeAws, sts: Creds) -> None:
    harness.write(".aws/config", role_profile("credential_source = Environment\n"))
    result = send(harness, "--profile", "r", keys=True, env={"AWS_ENDPOINT_URL_STS": fake.endpoint})
    signed_with(result, sts)
    assert signer(fake.seen("POST", "/")[0].headers).key_id == "AKIDEXAMPLE"


def test_chained_roles(harness: Harness, fake: FakeAws, sts: Creds) -> None:
    harness.write(
        ".aws/config",
        role_profile("source_profile = middle\n")
        + f"\n[profile middle]\nrole_arn = {ROLE_ARN}-middle\nsource_profile = base\n",
    )
    harness.write(".aws/credentials", SOURCE)
    signed_with(send(harness, "--profile", "r", env={"AWS_ENDPOINT_URL_STS": fake.endpoint}), sts)
    calls = fake.seen("POST", "/")
    assert [c.form["RoleArn"] for c in calls] == [ROLE_ARN + "-middle", ROLE_ARN]
    assert [signer(c.headers).key_id for c in calls] == ["AKIDBASE", sts.access_key]


def test_missing_source_profile(harness: Harness) -> None:
    harness.write(".aws/config", role_profile())
    failed(
        send(harness, "--profile", "r"),
        255,
        'The source_profile "base" referenced in the profile "r" does not exist.',
    )


def test_role_loop(harness: Harness) -> None:
    harness.write(
        ".aws/config",
        f"[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE_ARN}\nsource_profile = a\n",
    )
    failed(
        send(harness, "--profile", "a"),
        255,
        "Infinite loop in credential configuration detected. Attempting to load from profile "
        "a which has already been visited. Visited profiles: ['a', 'b']",
    )


def test_sts_refuses(harness: Harness, fake: FakeAws) -> None:
    fake.sts(Creds.named("sts"), error=sts_error("AccessDenied", "not allowed"))
    harness.write(".aws/config", role_profile())
    harness.write(".aws/credentials", SOURCE)
    failed(
        send(harness, "--profile", "r", env={"AWS_ENDPOINT_URL_STS": fake.endpoint}),
        254,
        "An error occurred (AccessDenied) when calling the AssumeRole operation: not allowed",
    )
    assert cache_files(harness) == []


# -- web identity --------------------------------------------------------------------------

JWT = "eyJhbGciOiJSUzI1NiJ9.web-identity-token-do-not-print.signature"


def test_web_identity_from_the_environment(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("web")
    fake.sts(creds)
    token = harness.write("token.jwt", JWT)
    env = {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
        "AWS_ROLE_ARN": ROLE_ARN,
        "AWS_ROLE_SESSION_NAME": "ci-run",
        "AWS_ENDPOINT_URL_STS": fake.endpoint,
    }
    signed_with(send(harness, env=env), creds)
    [call] = fake.seen("POST", "/")
    assert "authorization" not in call.headers  # AssumeRoleWithWebIdentity is unsigned
    form = call.form
    assert (form["Action"], form["RoleArn"], form["RoleSessionName"], form["WebIdentityToken"]) == (
        "AssumeRoleWithWebIdentity",
        ROLE_ARN,
        "ci-run",
        JWT,
    )
    assert len(cache_files(harness)) == 1


def test_web_identity_from_the_profile(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("web")
    fake.sts(creds)
    token = harness.write("token.jwt", JWT)
    harness.write(
        ".aws/config", f"[profile w]\nrole_arn = {ROLE_ARN}\nweb_identity_token_file = {token}\n"
    )
    env = {"AWS_ENDPOINT_URL_STS": fake.endpoint}
    signed_with(send(harness, "--profile", "w", env=env), creds)
    signed_with(send(harness, "--profile", "w", env=env), creds)
    assert fake.sts_actions == ["AssumeRoleWithWebIdentity"]  # then from ~/.aws/cli/cache


def test_web_identity_token_file_missing(harness: Harness) -> None:
    missing = harness.home / "nope.jwt"
    harness.write(
        ".aws/config", f"[profile w]\nrole_arn = {ROLE_ARN}\nweb_identity_token_file = {missing}\n"
    )
    failed(
        send(harness, "--profile", "w"), 255, f"[Errno 2] No such file or directory: '{missing}'"
    )


# -- credential_process --------------------------------------------------------------------


def process_profile(harness: Harness, document: dict[str, object] | str) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    output = harness.write("process-output.json", text)
    script = harness.write("process.py", "import sys\nsys.stdout.write(open(sys.argv[1]).read())\n")
    command = shlex.join([sys.executable, str(script), str(output)])
    harness.write(".aws/config", f"[profile p]\ncredential_process = {command}\n")


def test_credential_process(harness: Harness) -> None:
    creds = Creds.named("process")
    process_profile(
        harness,
        {
            "Version": 1,
            "AccessKeyId": creds.access_key,
            "SecretAccessKey": creds.secret_key,
            "SessionToken": creds.token,
            "Expiration": iso(creds.expires),
        },
    )
    signed_with(send(harness, "--profile", "p"), creds)


def test_credential_process_without_expiration_or_token(harness: Harness) -> None:
    process_profile(harness, {"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "x"})
    who = signed(send(harness, "--profile", "p"))
    assert (who.key_id, who.token) == ("AKIDPROC", None)


def test_credential_process_fails(harness: Harness) -> None:
    command = shlex.join(
        [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"]
    )
    harness.write(".aws/config", f"[profile p]\ncredential_process = {command}\n")
    failed(
        send(harness, "--profile", "p"),
        255,
        "Error when retrieving credentials from custom-process: boom",
    )


def test_credential_process_unsupported_version(harness: Harness) -> None:
    process_profile(harness, {"Version": 2})
    failed(
        send(harness, "--profile", "p"),
        255,
        "Error when retrieving credentials from custom-process: Unsupported version '2' for "
        "credential process provider, supported versions: 1",
    )


# -- SSO -----------------------------------------------------------------------------------

LEGACY_SSO = (
    f"[profile s]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
    "sso_account_id = 123456789012\nsso_role_name = Importer\n"
)
SESSION_SSO = (
    "[profile s]\nsso_session = my-sso\nsso_account_id = 123456789012\nsso_role_name = Importer\n"
    f"\n[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
    "sso_registration_scopes = sso:account:access\n"
)
SSO_TOKEN = "sso-access-token-do-not-print"


def sso_token(harness: Harness, cache_key: str, hours: float = 2.0) -> None:
    """The token ``aws sso login`` leaves in ~/.aws/sso/cache."""
    document = {
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": SSO_TOKEN,
        "expiresAt": iso(expiration(hours)),
    }
    name = hashlib.sha1(cache_key.encode()).hexdigest()
    harness.write(f".aws/sso/cache/{name}.json", json.dumps(document))


@pytest.mark.parametrize(
    ("config", "cache_key"),
    [(LEGACY_SSO, START_URL), (SESSION_SSO, "my-sso")],
    ids=["legacy", "sso-session"],
)
def test_sso(harness: Harness, fake: FakeAws, config: str, cache_key: str) -> None:
    creds = Creds.named("sso")
    fake.sso(creds)
    harness.write(".aws/config", config)
    sso_token(harness, cache_key)
    env = {"AWS_ENDPOINT_URL_SSO": fake.endpoint}
    signed_with(send(harness, "--profile", "s", env=env, process=True), creds)
    [call] = fake.seen("GET", "/federation/credentials")
    assert call.query == {"role_name": "Importer", "account_id": "123456789012"}
    assert call.headers["x-amz-sso_bearer_token"] == SSO_TOKEN
    assert "authorization" not in call.headers
    assert len(cache_files(harness)) == 1  # the role credentials, cached by v2 too
    signed_with(send(harness, "--profile", "s", env=env, process=True), creds)
    assert len(fake.seen("GET", "/federation/credentials")) == 1


def test_sso_portal_of_the_sso_region(harness: Harness, fake: FakeAws) -> None:
    harness.write(
        ".aws/config", LEGACY_SSO.replace("sso_region = us-east-1", "sso_region = ap-southeast-2")
    )
    sso_token(harness, START_URL)
    env = {"HTTPS_PROXY": fake.endpoint, "AWS_MAX_ATTEMPTS": "1"}
    send(harness, "--profile", "s", env=env, process=True)
    assert fake.connect_targets == ["portal.sso.ap-southeast-2.amazonaws.com:443"]


def test_sso_without_a_token(harness: Harness) -> None:
    harness.write(".aws/config", LEGACY_SSO)
    failed(
        send(harness, "--profile", "s", process=True),
        255,
        f"Error loading SSO Token: Token for {START_URL} does not exist",
    )


def test_sso_with_an_expired_token(harness: Harness) -> None:
    harness.write(".aws/config", LEGACY_SSO)
    sso_token(harness, START_URL, hours=-2)
    failed(
        send(harness, "--profile", "s", process=True),
        255,
        "The SSO session associated with this profile has expired or is otherwise invalid. "
        "To refresh this SSO session run aws sso login with the corresponding profile.",
    )


def test_sso_token_refused_by_the_portal(harness: Harness, fake: FakeAws) -> None:
    fake.routes["GET", "/federation/credentials"] = lambda _: Reply(
        401, json.dumps({"message": "Session token not found or invalid"})
    )
    harness.write(".aws/config", LEGACY_SSO)
    sso_token(harness, START_URL)
    failed(
        send(harness, "--profile", "s", env={"AWS_ENDPOINT_URL_SSO": fake.endpoint}, process=True),
        254,
        "An error occurred (401) when calling the GetRoleCredentials operation: "
        "Session token not found or invalid",
    )


def test_incomplete_sso_profile_is_not_a_source(harness: Harness) -> None:
    harness.write(
        ".aws/config", f"[profile s]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
    )
    failed(
        send(harness, "--profile", "s"),
        253,
        "An error occurred (NoCredentials): Unable to locate credentials. "
        'You can configure credentials by running "aws login".',
    )


# -- container credentials -----------------------------------------------------------------


def test_container_credentials_with_a_token(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("container")
    fake.container("/v2/credentials/abc", creds, authorization="Bearer container-auth")
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.url("/v2/credentials/abc"),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer container-auth",
    }
    signed_with(send(harness, env=env), creds)
    assert len(fake.seen("GET", "/v2/credentials/abc")) == 1


def test_container_token_file_beats_the_token(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("container")
    fake.container("/creds", creds, authorization="Bearer from-file")
    token_file = harness.write("container-token", "Bearer from-file")
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.url("/creds"),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer ignored",
    }
    signed_with(send(harness, env=env), creds)


def test_container_endpoint_refuses(harness: Harness, fake: FakeAws) -> None:
    fake.container("/creds", Creds.named("container"), authorization="Bearer right")
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.url("/creds")}
    failed(
        send(harness, env=env),
        255,
        "Error when retrieving credentials from container-role: Error retrieving metadata: "
        'Received non 200 response 401 from container metadata: {"message": "unauthorized"}',
    )
    assert len(fake.seen("GET", "/creds")) == 3


def test_container_uri_must_be_loopback(harness: Harness) -> None:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.invalid/creds"}
    failed(
        send(harness, env=env),
        255,
        "Unsupported host 'example.invalid'.  Can only retrieve metadata from a loopback address "
        "or one of these hosts: 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost",
    )


# -- instance metadata ---------------------------------------------------------------------


def test_instance_metadata_credentials(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("imds")
    fake.imds("importer", creds)
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    signed_with(send(harness, env=env, imds=True), creds)
    assert [(r.method, r.route) for r in fake.requests] == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/iam/security-credentials/"),
        ("GET", "/latest/meta-data/iam/security-credentials/importer"),
    ]
    assert fake.requests[0].headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600"


def test_instance_metadata_region_and_credentials(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("imds")
    fake.imds("importer", creds, zone="eu-central-1b")
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT],
        env=env,
        unset=(*NO_KEYS, "AWS_DEFAULT_REGION"),
    )
    assert result.rc == 0, result.stderr
    who = signer(result.requests[0].headers)
    assert (who.key_id, who.region, who.token) == (creds.access_key, "eu-central-1", creds.token)


def test_instance_metadata_disabled(harness: Harness, fake: FakeAws) -> None:
    fake.imds("importer", Creds.named("imds"))
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"}
    result = send(harness, env={**env, "AWS_EC2_METADATA_DISABLED": "true"}, imds=True)
    assert result.rc == 253
    assert fake.requests == []


def test_container_is_tried_before_instance_metadata(harness: Harness, fake: FakeAws) -> None:
    container, imds = Creds.named("container"), Creds.named("imds")
    fake.container("/creds", container).imds("importer", imds)
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.url("/creds"),
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/",
    }
    signed_with(send(harness, env=env, imds=True), container)
    assert fake.seen("PUT", "/latest/api/token") == []
