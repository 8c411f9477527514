"""Storage: every message in and out (with what the NLU made of it) and the sellers who wrote.

`models` holds the tables, `repository` the small functions the bot calls (they take a
caller-owned `Session` and never commit), `session` builds engines and sessions, and `migrate`
applies the Alembic migrations in `migrations/`. The schema is created only by migrations, never
by `create_all`, so every database (SQLite in development, PostgreSQL in production) goes through
the same steps.
"""
