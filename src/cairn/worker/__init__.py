"""The background worker: the outbox poller and the Huey consumer (``cairn worker``)."""
