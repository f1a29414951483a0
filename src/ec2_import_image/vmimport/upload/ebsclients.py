"""The clients of the direct road (EBS direct APIs, EC2, KMS) and the KMS key as an ARN.

One botocore client per service, made on first use from the run's session (v2's
configuration chain, ``--endpoint-url``), the EBS one with a connection pool as large as the
writer's thread pool: "Is each thread using a separate connection? If the connections are
limited on the application then multiple threads will wait for the connection to be
available" (https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-performance.html).  EC2
is asked for the snapshot's state (DescribeSnapshots), KMS for a key's ARN.

The EBS client makes some 2,048 PutSnapshotBlock requests per GiB, so what botocore does
again on each request for nothing counts (docs/performance.md, "The direct road").  Its
configuration (``botocore.config.Config``, public options only) turns off two such things:

- the request and response checksums botocore would compute itself (the writer sends each
  block's SHA-256 and checks the one EBS answers);
- the User-Agent built anew for every request: botocore composes it from a dozen parts and
  then rebuilds it once more before signing, some 0.1 ms of CPU per request, a fifth of a
  CPU-second per GiB, to send the same string each time.  ``Config.user_agent`` gives it once
  (``fixed_user_agent``: the SDK, Python and platform, as botocore's ``Session.user_agent``
  writes them; botocore appends the session's ``user_agent_extra``, this program's name and
  version, to it).  Only this client's header changes, and nothing else of the request:
  signing, credentials, retries and validation stay botocore's.

StartSnapshot's ``KmsKeyArn`` is "The Amazon Resource Name (ARN) of the Key Management
Service (KMS) key": a key id, an alias name or an alias ARN a user gives is resolved with KMS
DescribeKey, which takes any of them and answers the key's ARN (``KeyMetadata.Arn``).  A key
ARN is used as given (no call, no ``kms:DescribeKey`` permission needed).
"""

from __future__ import annotations

import platform
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ec2_import_image.awserrors import error_code, error_message
from ec2_import_image.vmimport.upload.errors import UploadError

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.config import Config
    from mypy_boto3_ebs.client import EBSClient
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_kms.client import KMSClient

    from ec2_import_image.vmimport.context import Run

#: a KMS key's ARN (not an alias's): arn:PARTITION:kms:REGION:ACCOUNT:key/ID
_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")

#: PutSnapshotBlock requests in flight at once per disk: the default of ``vmimport import
#: --upload-threads`` (see "Throughput and threads" in ``ebsdirect``)
DEFAULT_CONCURRENCY = 8

#: makes a botocore client of a service (typed where it is used: ``EbsClients.ebs``...)
ClientMaker = Callable[[str, "Config | None"], object]


class EbsClients:
    """The direct road's clients, each made once, on first use (thread-safe)."""

    def __init__(self, make: ClientMaker, *, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._make = make
        self.concurrency = concurrency
        self._clients: dict[str, object] = {}
        self._lock = threading.Lock()

    def _client(self, service: str) -> object:
        made = self._clients.get(service)  # a dict read is atomic: no lock once made
        if made is not None:
            return made
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make(service, self._config(service))
            return self._clients[service]

    def _config(self, service: str) -> Config | None:
        if service != "ebs":
            return None
        from botocore.config import Config

        return Config(
            max_pool_connections=self.concurrency + 2,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            user_agent=fixed_user_agent(),
        )

    @property
    def ebs(self) -> EBSClient:
        """The EBS direct APIs client: a connection per writer thread."""
        return cast("EBSClient", self._client("ebs"))

    @property
    def ec2(self) -> EC2Client:
        return cast("EC2Client", self._client("ec2"))

    @property
    def kms(self) -> KMSClient:
        return cast("KMSClient", self._client("kms"))


def fixed_user_agent() -> str:
    """The EBS client's User-Agent, made once (see the module's docstring): botocore's name and
    version, Python's, the platform's, in ``botocore.session.Session.user_agent``'s form."""
    import botocore

    return (
        f"Botocore/{botocore.__version__} Python/{platform.python_version()} "
        f"{platform.system()}/{platform.release()}"
    )


def from_run(run: Run, *, concurrency: int = DEFAULT_CONCURRENCY) -> EbsClients:
    """The direct road's clients of a ``vmimport`` run (its session, its ``--endpoint-url``)."""

    def make(service: str, config: Config | None) -> BaseClient:
        return run.create_client(service, config)

    return EbsClients(make, concurrency=concurrency)


class KeyNotUsable(UploadError):
    """The KMS key given cannot be found or used."""


def resolve_kms_key(kms: KMSClient, key: str) -> str:
    """The ARN of the KMS key ``key`` names (a key id, key ARN, alias name or alias ARN)."""
    if _KEY_ARN.fullmatch(key):
        return key
    from botocore.exceptions import ClientError

    try:
        metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as error:
        code = error_code(error)
        if code in ("NotFoundException", "InvalidArnException"):
            raise KeyNotUsable(
                f"the KMS key {key} does not exist in this Region ({code}: "
                f"{error_message(error)}): give a key id, key ARN or alias of this Region"
            ) from None
        raise
    state = metadata.get("KeyState", "Enabled")
    if state != "Enabled":
        raise KeyNotUsable(
            f"the KMS key {key} ({metadata.get('Arn')}) is {state}: EBS cannot encrypt with it"
        )
    return str(metadata["Arn"])
