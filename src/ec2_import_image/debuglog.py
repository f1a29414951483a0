"""``--debug``: v2's debug log on stderr, with secrets redacted.

v2 attaches a DEBUG stream handler to the ``botocore``, ``awscli``,
``s3transfer`` and ``urllib3`` loggers, in its log format, and logs its
version and arguments first.  It also prints the session token twice per
attempt (in the canonical request and in the headers of the prepared
request).  Here every record passes through a formatter that replaces the
secret access key and the session token in use, and any value of an
``X-Amz-Security-Token`` header, with ``<redacted>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LOG_FORMAT = "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"
LOGGERS = ("botocore", "awscli", "s3transfer", "urllib3", "ec2_import_image")
REDACTED = "<redacted>"
#: the security token header as the canonical request and the request's headers print it
_TOKEN_PATTERNS = (
    re.compile(r"(x-amz-security-token:)([^\s'\"\\]+)", re.IGNORECASE),
    re.compile(r"('X-Amz-Security-Token': b?')([^']+)(')", re.IGNORECASE),
    re.compile(r"(X-Amz-Security-Token=)([^&\s'\"]+)", re.IGNORECASE),
)

log = logging.getLogger("awscli.clidriver")


class RedactingFormatter(logging.Formatter):
    """Formats as v2 does, then removes every secret it knows of."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)
        self.secrets: set[str] = set()

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(
                lambda m: m.group(1) + REDACTED + (m.group(3) if m.lastindex == 3 else ""), text
            )
        return text


#: the formatters of the debug logs in progress (one per run; tests run several in-process)
_active: list[RedactingFormatter] = []


def add_secrets(*values: str | None) -> None:
    """Register secret values (a secret key, a session token) for redaction."""
    for formatter in _active:
        formatter.secrets.update(v for v in values if v)


@contextmanager
def debug_logging(stream: TextIO, enabled: bool) -> Iterator[None]:
    """Log at DEBUG to ``stream`` for the duration of one run when ``enabled``."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    formatter = RedactingFormatter()
    handler.setFormatter(formatter)
    _active.append(formatter)
    previous = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        previous.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, level in previous:
            logger.removeHandler(handler)
            logger.setLevel(level)
        _active.remove(formatter)
