"""One click command per module; ``cli.py`` adds them to the group lazily."""
