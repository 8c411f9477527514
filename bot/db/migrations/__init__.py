"""Alembic environment. A package so it ships inside an installed `bot` distribution."""
