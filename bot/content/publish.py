"""One unit of work that validates the content files and syncs them into a database.

Used by `akar content sync`, by `akar run` (so a fresh clone has its modules) and by the tests.
"""

from __future__ import annotations

from pathlib import Path

from bot.content.loader import load_catalogue
from bot.content.sync import SyncReport, sync_catalogue
from bot.db.session import make_engine, make_session_factory, session_scope

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "modules"


def publish(database_url: str, root: str | Path = CONTENT_DIR) -> SyncReport:
    """Raises ContentError (nothing written) if any file is invalid."""
    catalogue = load_catalogue(root)
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return sync_catalogue(session, catalogue)
    finally:
        engine.dispose()
