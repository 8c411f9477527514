"""Builds the long-lived objects of a front-end process from settings."""

from __future__ import annotations

from bot.compose.facade import Composer
from bot.config import Settings
from bot.conversation import Assistant
from bot.db.session import make_engine, make_session_factory
from bot.learning.facade import Learning
from bot.privacy.facade import Privacy
from bot.privacy.policy import load_privacy_text
from bot.privacy.rasa_tracker import from_settings as rasa_tracker_events
from bot.rasa_client import RasaClient
from bot.store import Store
from bot.support.facade import Support


def build_assistant(settings: Settings) -> Assistant:
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    rasa = RasaClient(
        settings.rasa_base_url,
        timeout=settings.rasa_timeout_seconds,
        max_in_flight=settings.rasa_max_in_flight,
        queue_timeout=settings.rasa_queue_seconds,
    )
    support = Support(
        sessions, support_chat_id=settings.support_chat_id, web_base_url=settings.web_base_url
    )
    days = settings.transcript_retention_days
    # Raises PrivacyTextError if content/privasi.md is invalid: no bot without its notice.
    privacy = Privacy(
        sessions,
        load_privacy_text(retention_days=days),
        retention_days=days,
        rasa_tracker=rasa_tracker_events(settings.rasa_tracker_store_url),
    )
    return Assistant(
        rasa,
        Store(sessions),
        learning=Learning(sessions),
        composer=Composer(sessions),
        support=support,
        privacy=privacy,
    )
