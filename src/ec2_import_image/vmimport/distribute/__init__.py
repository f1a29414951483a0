"""After the AMI: its name, its copies in other Regions, its shares, its flags; old ones removed.

An AMI in one Region of one account is rarely the end of a migration.  This
package takes an import's finished AMI where the user wants it, as a state to
reach rather than a script to run, so that a rerun reconciles:

- ``options``: what the user asks for (``--ami-name``, ``--copy-to-region``,
  ``--share-with``...), read and checked as every other key of a manifest;
- ``observe``: what the account holds, Region by Region (the read);
- ``plan``: the steps from one to the other, per Region in the order copy,
  tag, share, deprecate, protect (pure: no AWS, no clock of its own);
- ``naming``, ``regions``, ``sharing``, ``flags``: each step's calls;
  ``copying`` the CopyImage both naming and regions send, ``pacing`` the
  waits and the copy slots;
- ``apply``: the engine's hook, which runs them after an import's finish and
  on every rerun of a finished import, each step recorded in the state
  database (``state.distribution``);
- ``results``: the result JSON's and results files' ``images`` and ``shared``;
- ``retention`` (pure) and ``prune``: ``vmimport gc``.
"""
