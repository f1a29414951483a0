"""The shared configuration chain, on the drop-in's trimmed session and on a full session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.awsconfig.session import full_session
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.service.session import create_session  # the trimmed one
from ec2_import_image.environment import Environment


def _environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    config = tmp_path / "config"
    config.write_text("[profile work]\nregion = eu-west-3\nmax_attempts = 7\n")
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        **extra,
    }


def test_both_sessions_resolve_the_same_profile_settings(tmp_path: Path) -> None:
    environ = _environ(tmp_path, AWS_PROFILE="work")
    with Environment(environ=environ).process_environment():
        trimmed = create_session(GlobalOptions(), environ)
        full = full_session(environ=environ)
        for session in (trimmed, full):
            assert session.get_config_variable("region") == "eu-west-3"
            assert session.get_config_variable("max_attempts") == 7
            assert session.get_config_variable("retry_mode") == "standard"
        regional = full_session(environ=environ, region="ap-south-1")
        assert regional.get_config_variable("region") == "ap-south-1"


def test_the_full_session_keeps_botocores_s3_handlers(tmp_path: Path) -> None:
    """vmimport's S3 calls get S3's built-in handlers, which the drop-in's trimmed session drops.

    botocore's ``validate_bucket_name`` (a built-in S3 handler) refuses a bucket
    name with a slash before anything is sent; a valid name goes out and meets
    the closed port.
    """
    environ = _environ(tmp_path, AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
    from botocore.exceptions import EndpointConnectionError, ParamValidationError

    with Environment(environ=environ).process_environment():
        client: Any = full_session(environ=environ).create_client(
            "s3", endpoint_url="http://127.0.0.1:9"
        )
        with pytest.raises(ParamValidationError, match="Invalid bucket name"):
            client.put_object(Bucket="not/a/bucket", Key="k", Body=b"")
        with pytest.raises(EndpointConnectionError):
            client.put_object(Bucket="a-bucket", Key="k", Body=b"")
