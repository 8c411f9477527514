"""Composing trainer broadcasts in Telegram (/siaran)."""
