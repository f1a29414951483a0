"""The EBS direct APIs (REST-JSON service ``ebs``), emulated over moto's EC2.

``rest`` is the wire (botocore's ``ebs`` model), ``service`` the behaviour
(snapshots written, sealed, timed out, read back), ``encryption`` the outcome
rules, ``tokens`` the block and page tokens, ``faults`` the failures a test can
ask for, ``errors`` every error answered, ``endpoint`` the route in front of
moto.  The blocks live in the snapshot-content store (``..snapshots``).
"""
