"""``python -m ec2_import_emulator``."""

from ec2_import_emulator.server import main

raise SystemExit(main())
