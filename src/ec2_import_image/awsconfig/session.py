"""A full botocore session on v2's configuration chain, for programs that call many services.

The drop-in trims its session to EC2 for its start-up (``dropin/service``);
``vmimport`` calls S3 (ranged GETs, multipart uploads, checksums), IAM, KMS,
STS and more of EC2, so it needs every built-in handler botocore has (S3's
above all) and botocore's own models.  Both resolve profiles, Regions,
retries, time-outs and credentials through the same chain (``chain.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ec2_import_image import __version__
from ec2_import_image.awsconfig import chain

if TYPE_CHECKING:
    import botocore.session


def full_session(
    *,
    profile: str | None = None,
    region: str | None = None,
    environ: Mapping[str, str] | None = None,
    program: str = "vmimport",
    read_timeout: int | None = None,
    connect_timeout: int | None = None,
) -> botocore.session.Session:
    """An unmodified botocore session with v2's configuration chain and credential caches."""
    import botocore.session

    session = botocore.session.Session()
    session.user_agent_extra = f"ec2-import-image/{__version__} {program}"
    chain.apply_chain(session, profile=profile, region=region, environ=environ)
    chain.set_default_client_config(
        session, read_timeout=read_timeout, connect_timeout=connect_timeout
    )
    chain.inject_credential_caches(session, environ)
    return session
