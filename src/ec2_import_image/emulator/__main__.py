"""``python -m ec2_import_image.emulator``."""

from ec2_import_image.emulator.server import main

raise SystemExit(main())
