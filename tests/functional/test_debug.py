"""``--debug``: v2's log on stderr, never showing a secret key, session token or bearer token.

For every credential source that yields a secret, a run with ``--debug`` is searched in
ALL of its stderr for each secret value it handled: the secret access key and session
token it signed with, the source profile's secret, the web identity token, the SSO
access token.  The credentials still reach the wire (the Stub sees the token), and the
log still shows where the token went (``x-amz-security-token:<redacted>``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import shlex
import sys
from pathlib import Path

import pytest

from ec2_import_image.debuglog import REDACTED, RedactingFormatter, debug_logging, redact_fields
from tests.support.fake_aws import ROLE_ARN, Creds, FakeAws, expiration, iso
from tests.support.runner import FAKE_SECRET, Harness, Run
from tests.support.sigv4 import signer

CASES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
IMPORT = ["ec2", "import-image", "--output", "text", "--debug"]
NO_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
NO_IMDS = {"AWS_EC2_METADATA_DISABLED": "true"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - ")
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - MainThread - [\w.]+ - (DEBUG|INFO|WARNING) - "
)


pytestmark = pytest.mark.usefixtures("import_image_answers")


def debug_run(
    harness: Harness,
    *args: str,
    env: dict[str, str] | None = None,
    keys: bool = False,
    process: bool = False,
) -> Run:
    run = harness.run_process if process else harness.run
    return run(
        ["--endpoint-url", harness.endpoint, *args, *IMPORT],
        env={**NO_IMDS, **(env or {})},
        unset=() if keys else NO_KEYS,
    )


def assert_clean(result: Run, *secrets: str) -> None:
    """The run succeeded, its log is v2's, and no secret appears anywhere in stderr."""
    assert result.rc == 0, result.stderr[-2000:]
    for secret in secrets:
        assert secret not in result.stderr, f"{secret!r} is in the debug log"
    lines = result.stderr.splitlines()
    assert LINE.match(lines[0])
    assert " - awscli.clidriver - DEBUG - CLI version: aws-cli/2.36.7 Python/" in lines[0]
    assert " - awscli.clidriver - DEBUG - Arguments entered to CLI: [" in lines[1]


def assert_token_sent_and_hidden(result: Run, creds: Creds) -> None:
    assert_clean(result, creds.secret_key, creds.token)
    who = signer(result.requests[0].headers)
    assert (who.key_id, who.token) == (creds.access_key, creds.token)
    # the log shows where the token went, not what it is
    assert f"x-amz-security-token:{REDACTED}" in result.stderr
    assert f"'X-Amz-Security-Token': b'{REDACTED}'" in result.stderr
    assert creds.access_key in result.stderr  # the key id is not a secret


# -- every source with a secret ------------------------------------------------------------


def test_environment_keys(harness: Harness) -> None:
    result = debug_run(harness, keys=True)
    assert_clean(result, FAKE_SECRET)
    assert "Found credentials in environment variables." in result.stderr


def test_environment_session_token(harness: Harness) -> None:
    token = "ENV-SESSION-TOKEN-do-not-print-42"
    result = debug_run(harness, keys=True, env={"AWS_SESSION_TOKEN": token})
    assert_clean(result, FAKE_SECRET, token)
    assert f"x-amz-security-token:{REDACTED}" in result.stderr
    assert result.requests[0].headers["x-amz-security-token"] == token


def test_credentials_file_token(harness: Harness) -> None:
    creds = Creds.named("file")
    harness.write(
        ".aws/credentials",
        f"[default]\naws_access_key_id = {creds.access_key}\n"
        f"aws_secret_access_key = {creds.secret_key}\naws_session_token = {creds.token}\n",
    )
    assert_token_sent_and_hidden(debug_run(harness), creds)


def test_assume_role(harness: Harness, fake: FakeAws) -> None:
    """The STS reply, which v2 logs whole, carries the new secret key and token."""
    creds = Creds.named("sts")
    fake.sts(creds)
    source_secret = "BASE-SECRET-do-not-print-0000"
    harness.write(".aws/config", f"[profile r]\nrole_arn = {ROLE_ARN}\nsource_profile = base\n")
    harness.write(
        ".aws/credentials",
        f"[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {source_secret}\n",
    )
    result = debug_run(harness, "--profile", "r", env={"AWS_ENDPOINT_URL_STS": fake.endpoint})
    assert_token_sent_and_hidden(result, creds)
    assert source_secret not in result.stderr
    log = result.stderr
    assert f"<SecretAccessKey>{REDACTED}</SecretAccessKey>" in log
    assert f"<SessionToken>{REDACTED}</SessionToken>" in log
    # as in v2, the role is assumed while the EC2 request is signed, not before
    assert log.index("OperationModel(name=ImportImage)") < log.index(
        "OperationModel(name=AssumeRole)"
    )
    assert fake.sts_actions == ["AssumeRole"]


def test_web_identity(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("web")
    fake.sts(creds)
    jwt = "eyJhbGciOiJSUzI1NiJ9.web-identity-do-not-print.c2lnbmF0dXJl"
    token_file = harness.write("token.jwt", jwt)
    env = {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_ARN": ROLE_ARN,
        "AWS_ENDPOINT_URL_STS": fake.endpoint,
    }
    result = debug_run(harness, env=env)
    assert_token_sent_and_hidden(result, creds)
    assert jwt not in result.stderr
    assert fake.seen("POST", "/")[0].form["WebIdentityToken"] == jwt


def test_sso(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("sso")
    fake.sso(creds)
    start_url = "https://example.awsapps.com/start"
    access_token = "sso-access-token-do-not-print-1234"
    harness.write(
        ".aws/config",
        f"[profile s]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Importer\n",
    )
    document = {
        "startUrl": start_url,
        "region": "us-east-1",
        "accessToken": access_token,
        "expiresAt": iso(expiration(2)),
    }
    name = hashlib.sha1(start_url.encode()).hexdigest()
    harness.write(f".aws/sso/cache/{name}.json", json.dumps(document))
    result = debug_run(
        harness, "--profile", "s", env={"AWS_ENDPOINT_URL_SSO": fake.endpoint}, process=True
    )
    assert_token_sent_and_hidden(result, creds)
    assert access_token not in result.stderr
    assert f"'x-amz-sso_bearer_token': b'{REDACTED}'" in result.stderr


def test_container(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("container")
    fake.container("/creds", creds, authorization="Bearer container-auth-do-not-print")
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.url("/creds"),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer container-auth-do-not-print",
    }
    result = debug_run(harness, env=env)
    assert_token_sent_and_hidden(result, creds)
    assert "container-auth-do-not-print" not in result.stderr


def test_instance_metadata(harness: Harness, fake: FakeAws) -> None:
    creds = Creds.named("imds")
    fake.imds("importer", creds)
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT],
        env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"},
        unset=NO_KEYS,
    )
    assert_token_sent_and_hidden(result, creds)


def test_credential_process(harness: Harness) -> None:
    creds = Creds.named("process")
    document = {
        "Version": 1,
        "AccessKeyId": creds.access_key,
        "SecretAccessKey": creds.secret_key,
        "SessionToken": creds.token,
        "Expiration": iso(creds.expires),
    }
    output = harness.write("out.json", json.dumps(document))
    script = harness.write("process.py", "import sys\nsys.stdout.write(open(sys.argv[1]).read())\n")
    command = shlex.join([sys.executable, str(script), str(output)])
    harness.write(".aws/config", f"[profile p]\ncredential_process = {command}\n")
    assert_token_sent_and_hidden(debug_run(harness, "--profile", "p"), creds)


def test_token_hidden_in_every_retry(harness: Harness) -> None:
    creds = Creds.named("retry")
    harness.stub.replies = {
        "ImportImage": [
            {"status": 503, "body": b""},
            {"status": 200, "body": (CASES / "ImportImage.xml").read_bytes()},
        ]
    }
    env = {
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        "AWS_SESSION_TOKEN": creds.token,
    }
    result = debug_run(harness, env=env, keys=True)
    assert_clean(result, creds.secret_key, creds.token)
    assert len(result.requests) == 2
    assert result.stderr.count(f"x-amz-security-token:{REDACTED}") == 2


def test_token_hidden_when_the_call_fails(harness: Harness) -> None:
    token = "FAILING-TOKEN-do-not-print-77"
    harness.stub.replies = {
        "ImportImage": [{"status": 400, "body": (CASES / "err-AuthFailure.xml").read_bytes()}]
    }
    result = debug_run(harness, keys=True, env={"AWS_SESSION_TOKEN": token})
    assert result.rc == 254
    assert token not in result.stderr
    assert FAKE_SECRET not in result.stderr


# -- what --debug does not change ----------------------------------------------------------


def test_no_credentials_fetched_for_the_output_skeleton(harness: Harness, fake: FakeAws) -> None:
    fake.sts(Creds.named("sts"))
    harness.write(".aws/config", f"[profile r]\nrole_arn = {ROLE_ARN}\nsource_profile = base\n")
    harness.write(".aws/credentials", "[base]\naws_access_key_id = A\naws_secret_access_key = b\n")
    result = harness.run(
        ["--profile", "r", "ec2", "import-image", "--generate-cli-skeleton", "output", "--debug"],
        env={**NO_IMDS, "AWS_ENDPOINT_URL_STS": fake.endpoint},
        unset=NO_KEYS,
    )
    assert result.rc == 0
    assert fake.requests == []


def test_no_credentials_looked_up_for_unsigned_requests(harness: Harness, fake: FakeAws) -> None:
    fake.imds("importer", Creds.named("imds"))
    result = harness.run(
        ["--endpoint-url", harness.endpoint, "--no-sign-request", *IMPORT],
        env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.endpoint + "/"},
        unset=NO_KEYS,
    )
    assert result.rc == 0
    assert fake.requests == []
    assert "authorization" not in result.requests[0].headers


def test_debug_output_goes_to_stderr_only(harness: Harness) -> None:
    plain = harness.run(
        ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--output", "text"]
    )
    debug = debug_run(harness, keys=True)
    assert debug.stdout == plain.stdout
    assert plain.stderr == ""
    # a record may span lines (canonical requests); each one starts with v2's prefix
    starts = [line for line in debug.stderr.splitlines() if TIMESTAMP.match(line)]
    assert len(starts) > 20
    assert all(LINE.match(line) for line in starts)


def test_debug_log_ends_when_the_run_ends(harness: Harness) -> None:
    debug_run(harness, keys=True)
    for name in ("botocore", "awscli", "urllib3"):
        logger = logging.getLogger(name)
        assert not any(isinstance(h.formatter, RedactingFormatter) for h in logger.handlers), name


# -- the redaction itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<SecretAccessKey>abc/def+1</SecretAccessKey><SessionToken>tok==</SessionToken>",
            f"<SecretAccessKey>{REDACTED}</SecretAccessKey><SessionToken>{REDACTED}</SessionToken>",
        ),
        (
            '{"accessKeyId":"ASIA","secretAccessKey":"s3cr3t","sessionToken":"t0k"}',
            f'{{"accessKeyId":"ASIA","secretAccessKey":"{REDACTED}","sessionToken":"{REDACTED}"}}',
        ),
        (
            '{"AccessKeyId": "ASIA", "SecretAccessKey": "x", "Token": "y", "accessToken": "z"}',
            f'{{"AccessKeyId": "ASIA", "SecretAccessKey": "{REDACTED}", "Token": "{REDACTED}", '
            f'"accessToken": "{REDACTED}"}}',
        ),
        (
            "{'X-Amz-Security-Token': b'tok', 'x-amz-sso_bearer_token': b'bear'}",
            f"{{'X-Amz-Security-Token': b'{REDACTED}', 'x-amz-sso_bearer_token': b'{REDACTED}'}}",
        ),
        (
            "{'RoleArn': 'arn', 'WebIdentityToken': 'jwt.jwt.jwt'}",
            f"{{'RoleArn': 'arn', 'WebIdentityToken': '{REDACTED}'}}",
        ),
        (
            "Action=AssumeRoleWithWebIdentity&WebIdentityToken=a.b.c&Version=2011-06-15",
            f"Action=AssumeRoleWithWebIdentity&WebIdentityToken={REDACTED}&Version=2011-06-15",
        ),
        (
            "?X-Amz-Security-Token=abc%2Bdef&X-Amz-Date=1",
            f"?X-Amz-Security-Token={REDACTED}&X-Amz-Date=1",
        ),
        (
            "host:h\nx-amz-security-token:tok123\nx-amz-date:1",
            f"host:h\nx-amz-security-token:{REDACTED}\nx-amz-date:1",
        ),
    ],
    ids=["xml", "sso-json", "metadata-json", "headers", "params", "form", "query", "canonical"],
)
def test_secret_fields_are_redacted(text: str, expected: str) -> None:
    assert redact_fields(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<NextToken>page-2</NextToken>",
        '{"NextToken": "page-2", "ClientToken": "abc"}',
        "Action=ImportImage&ClientToken=abc&NextToken=n",
        "<AccessKeyId>ASIAEXAMPLE</AccessKeyId>",
    ],
)
def test_fields_that_are_not_secrets_are_kept(text: str) -> None:
    assert redact_fields(text) == text


def test_registered_secrets_are_redacted_as_whole_words() -> None:
    formatter = RedactingFormatter()
    formatter.add("s", "wJalr/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+=")
    text = "s is short; key=wJalr/K7MDENG+bPxRfiCYEXAMPLEKEY; t tok%2Fen%2B%3D; tok/en+="
    assert formatter.redact(text) == (
        f"{REDACTED} is short; key={REDACTED}; t {REDACTED}; {REDACTED}"
    )
    assert formatter.redact("words stay whole: sessions") == "words stay whole: sessions"


def test_secrets_apply_only_to_their_own_run() -> None:
    first, second = io.StringIO(), io.StringIO()
    log = logging.getLogger("botocore.test-debug")
    with debug_logging(first, True) as formatter:
        assert formatter is not None
        formatter.add("FIRST-SECRET", None)
        log.debug("a FIRST-SECRET b")
    with debug_logging(second, True) as other:
        assert other is not formatter
        log.debug("c FIRST-SECRET d")
    assert "FIRST-SECRET" not in first.getvalue()
    assert "c FIRST-SECRET d" in second.getvalue()
    with debug_logging(second, False) as none:
        assert none is None
