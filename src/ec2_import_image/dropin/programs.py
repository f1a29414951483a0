"""The drop-in's program names and their shell-completion variables.

``aws`` is the drop-in for AWS CLI v2; ``ec2-import-image`` runs ``aws ec2
import-image`` without the prefix.  click's completion protocol is asked for
through one environment variable per program (``_AWS_COMPLETE``,
``_EC2_IMPORT_IMAGE_COMPLETE``).
"""

from __future__ import annotations

AWS = "aws"
SHORT = "ec2-import-image"


def completion_variable(program: str) -> str:
    """click's completion variable: ``_AWS_COMPLETE``, ``_EC2_IMPORT_IMAGE_COMPLETE``."""
    return "_" + program.replace("-", "_").upper() + "_COMPLETE"
