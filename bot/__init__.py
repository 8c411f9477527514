"""Telegram front end, storage and tooling of the AKAR Indonesia seller assistant."""
