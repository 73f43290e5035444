"""Ketnap's shared platform: event store, envelope, bus, projections, logging, settings, calendar."""
