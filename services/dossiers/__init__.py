"""The dossiers service."""
