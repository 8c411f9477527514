"""Alembic revisions, applied in order by `bot.db.migrate.upgrade`."""
