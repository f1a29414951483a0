"""The drop-in's botocore session and client, built in a test as a run builds them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ec2_import_image.debuglog import RedactingFormatter
from ec2_import_image.environment import Environment
from tests.support.runner import FAKE_KEY_ID, FAKE_SECRET


@contextlib.contextmanager
def isolated(tmp_path: Path) -> Iterator[None]:
    """Credentials, configuration and cache of the tests' own, nothing of the machine's.

    As a run's sending path runs: in its Environment's ``process_environment``
    (what botocore reads of the process is the run's).
    """
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    with Environment(environ=environ).process_environment():
        yield


def drop_in_session() -> Any:
    """The drop-in's session, on the variables ``isolated`` put in place."""
    from ec2_import_image.dropin.cli.globalopts import GlobalOptions
    from ec2_import_image.dropin.service.session import create_session

    return create_session(GlobalOptions(), dict(os.environ))


def drop_in_client(endpoint: str | None = None, debug_log: RedactingFormatter | None = None) -> Any:
    """The drop-in's client, on the variables ``isolated`` put in place."""
    from ec2_import_image.dropin.cli.globalopts import GlobalOptions
    from ec2_import_image.dropin.service.session import create_client, create_session

    options = GlobalOptions(endpoint_url=endpoint)
    return create_client(create_session(options, dict(os.environ), debug_log), options)
