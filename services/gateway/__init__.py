"""The gateway: the HTTP API for people and other systems, its users and tokens, and the record of
every read of a personal history (docs/gateway.md)."""
