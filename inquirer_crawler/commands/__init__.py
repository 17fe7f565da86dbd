"""Project commands (COMMANDS_MODULE): ``crawl`` with argument checks before the engine starts."""
