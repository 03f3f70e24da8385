"""The Matrix adapter on matrix-nio: login, sync, sending, encryption, devices."""
