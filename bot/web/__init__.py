"""The bot's public HTTP server (`[web]`): calendar feeds and mail opt-out."""
