"""Microsoft Teams: the bot's messaging endpoint, its posts through the Bot
Connector, and the people behind Teams ids (see `transport.TeamsTransport`)."""
