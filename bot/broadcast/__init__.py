"""Trainer broadcasts: segments, a persistent outbox and a rate-limited sender (issue #5)."""
