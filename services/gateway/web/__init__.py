"""The staff web application (ứng dụng web cho cán bộ): server-rendered pages inside the gateway,
asking the services through the same access table, scope check, idempotency and personal-read
records as the HTTP API (docs/web.md)."""
