"""``--debug``: v2's debug log on stderr, with secrets redacted.

v2 attaches a DEBUG stream handler to the ``botocore``, ``awscli``,
``s3transfer`` and ``urllib3`` loggers, in its log format, and logs its
version and arguments first.  Its log shows secrets: the session token twice
per attempt (in the canonical request and in the headers of the prepared
request), and the credentials a provider obtains in the logged response body
of STS ``AssumeRole``/``AssumeRoleWithWebIdentity`` and SSO
``GetRoleCredentials``.  Here every record passes through a formatter that
replaces with ``<redacted>``:

- the secret access keys and session tokens registered with the run's
  formatter (``RedactingFormatter.add``: the drop-in's session registers the
  credentials of every request it signs);
- the value of every field that carries a secret, wherever the log shows one:
  the secret key, session token, SSO access token and web identity token in
  XML elements, JSON members, Python reprs of dicts, form bodies and query
  strings, and the ``X-Amz-Security-Token``/``x-amz-sso_bearer_token``
  headers, so that a secret is hidden even before it is known by value.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LOG_FORMAT = "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"
LOGGERS = ("botocore", "awscli", "s3transfer", "urllib3", "ec2_import_image")
REDACTED = "<redacted>"

#: names of the fields whose values are secrets (matched without regard to case)
SECRET_FIELDS = (
    "SecretAccessKey",
    "SessionToken",
    "Token",
    "AccessToken",
    "WebIdentityToken",
    "X-Amz-Security-Token",
    "x-amz-sso_bearer_token",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)
_NAMES = "|".join(re.escape(name) for name in SECRET_FIELDS)
#: each way the log writes a field and its value; the named group ``value`` is the secret
_FIELD_PATTERNS = (
    # XML elements: <SecretAccessKey>value</SecretAccessKey>
    re.compile(rf"<(?P<name>{_NAMES})>(?P<value>[^<]*)</(?P=name)>", re.IGNORECASE),
    # JSON members: "secretAccessKey": "value"
    re.compile(rf'"(?:{_NAMES})"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)"', re.IGNORECASE),
    # Python reprs of dicts (parameters, headers): 'WebIdentityToken': 'value', b'value'
    re.compile(rf"'(?:{_NAMES})'\s*:\s*b?'(?P<value>(?:[^'\\]|\\.)*)'", re.IGNORECASE),
    re.compile(rf"'(?:{_NAMES})'\s*:\s*b?\"(?P<value>(?:[^\"\\]|\\.)*)\"", re.IGNORECASE),
    # form bodies and query strings: WebIdentityToken=value&...
    re.compile(rf"(?<![\w-])(?:{_NAMES})=(?P<value>[^&\s'\"]+)", re.IGNORECASE),
    # header lines of the canonical request: x-amz-security-token:value
    re.compile(
        r"(?<![\w-])(?:x-amz-security-token|x-amz-sso_bearer_token):(?P<value>[^\s'\"\\]+)",
        re.IGNORECASE,
    ),
)


def redact_fields(text: str) -> str:
    """Replace the value of every secret-bearing field ``text`` shows."""
    for pattern in _FIELD_PATTERNS:
        text = pattern.sub(_replace_value, text)
    return text


def _replace_value(match: re.Match[str]) -> str:
    start, end = match.span("value")
    offset = match.start()
    whole = match.group(0)
    return whole[: start - offset] + REDACTED + whole[end - offset :]


log = logging.getLogger("awscli.clidriver")


#: the characters of base64 text, which secret keys and session tokens are made of
#: (``=`` only pads the end, so it may precede a secret: ``X-Amz-Security-Token=...``)
_BEFORE = "A-Za-z0-9+/"
_AFTER = "A-Za-z0-9+/="


class RedactingFormatter(logging.Formatter):
    """Formats as v2 does, then removes every secret it knows of."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)
        self.secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._pattern_of: frozenset[str] = frozenset()

    def add(self, *values: str | None) -> None:
        """Register secret values; their URL-encoded forms are secrets too; None is skipped."""
        for value in values:
            if value:
                self.secrets.update((value, urllib.parse.quote(value, safe="")))

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        pattern = self._secrets_pattern()
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        return redact_fields(text)

    def _secrets_pattern(self) -> re.Pattern[str] | None:
        """One pattern for every registered secret, each as a whole base64 word.

        A value is replaced where it stands alone, not inside a longer word, so
        that a short test secret does not eat the letters of the whole log.
        """
        if self._pattern_of != self.secrets:
            self._pattern_of = frozenset(self.secrets)
            alternatives = "|".join(
                re.escape(secret) for secret in sorted(self.secrets, key=len, reverse=True)
            )
            self._pattern = (
                re.compile(rf"(?<![{_BEFORE}])(?:{alternatives})(?![{_AFTER}])")
                if alternatives
                else None
            )
        return self._pattern


@contextmanager
def debug_logging(stream: TextIO, enabled: bool) -> Iterator[RedactingFormatter | None]:
    """Log at DEBUG to ``stream`` for the duration of one run when ``enabled``.

    Yields the log's formatter (None when not ``enabled``): the run registers
    the secrets it comes across with it (``RedactingFormatter.add``).  Each run
    has its own; nothing of it outlives the run.
    """
    if not enabled:
        yield None
        return
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    formatter = RedactingFormatter()
    handler.setFormatter(formatter)
    previous = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        previous.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield formatter
    finally:
        for logger, level in previous:
            logger.removeHandler(handler)
            logger.setLevel(level)
