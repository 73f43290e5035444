"""The verification service."""
