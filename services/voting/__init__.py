"""The voting service."""
