"""IAM policy documents, judged offline: parse, match, evaluate, and VM Import's trust rule.

Shared by ``vmimport`` (the account checks and ``setup-role``) and the emulator
(whether VM Import may assume a role and is allowed what it needs), so both
judge a role the same way.

Evaluation is three-valued (``truth``): what the documents decide is allowed
or denied, and what they cannot decide offline (a condition on a key whose
value is not known, a policy variable, a request value known only in part) is
unknown, never allowed.  ``wildcard`` matches IAM's ``*`` and ``?``;
``document`` parses a policy into typed statements; ``conditions`` evaluates
Condition blocks against what is known of a request; ``evaluate`` gives a
request's verdict under a set of documents; ``trust`` is VM Import's rule for a
role's trust policy; ``servicerole`` what the role must be allowed; ``arn``
builds the ARNs the checks ask about.
"""
