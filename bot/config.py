"""Settings read from the environment and an optional `.env` file.

One typed object instead of scattered `os.environ` lookups, so every knob is documented in one
place and secrets are `SecretStr` (never printed by accident in logs or reprs).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Telegram: about 30 messages/s for free; paid broadcasts up to 1,000/s (billed in Stars).
FREE_BROADCAST_RATE = 25.0
PAID_BROADCAST_RATE = 1000.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Token from @BotFather. Unset: `akar run` opens a terminal chat."
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL; point at a self-hosted Bot API server or the test emulator.",
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL for webhook mode; unset means long polling."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Webhook mode: Telegram sends it in X-Telegram-Bot-Api-Secret-Token and the bot "
            "refuses requests without it. Required with TELEGRAM_WEBHOOK_URL (1-256 of A-Z a-z "
            "0-9 _ -; e.g. openssl rand -hex 32)."
        ),
    )
    telegram_webhook_port: int = Field(default=8443, description="Webhook mode: listen port.")
    telegram_webhook_listen: str = Field(
        default="0.0.0.0",
        description="Webhook mode: listen address (behind your HTTPS proxy or load balancer).",
    )
    webhook_max_connections: int = Field(
        default=40,
        ge=1,
        le=100,
        description="Webhook mode: how many POSTs Telegram may have open at once (setWebhook).",
    )
    webhook_concurrency: int = Field(
        default=64, ge=1, description="Webhook mode: updates one process handles at once."
    )
    webhook_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Webhook mode: an update claimed by a process that then dies is handled by another "
            "one after this long."
        ),
    )
    webhook_poll_seconds: float = Field(
        default=0.2,
        gt=0,
        description=(
            "Webhook mode: how often an idle process looks for updates received by the others "
            "(its own arrive at once)."
        ),
    )

    database_url: str = Field(default="sqlite:///akar.db", description="Any SQLAlchemy URL.")
    rasa_url: str | None = Field(
        default=None, description="Rasa server base URL; default http://127.0.0.1:RASA_PORT."
    )
    rasa_port: int = 5005
    action_server_port: int = 5055
    rasa_executable: str = Field(
        default=".venv-rasa/bin/rasa", description="Rasa CLI (its own Python 3.10 environment)."
    )
    rasa_model: str = "models/akar.tar.gz"
    rasa_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long one message may take inside Rasa before the seller gets an apology.",
    )
    rasa_max_in_flight: int = Field(
        default=8,
        ge=1,
        description=(
            "Messages one bot process has inside each Rasa server at once; more wait in the bot "
            "(not inside Rasa, where they would run into RASA_TIMEOUT_SECONDS under load)."
        ),
    )
    rasa_queue_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a message may wait for its turn to Rasa before the apology.",
    )
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line per record; json: one JSON object per line.",
    )
    health_host: str = Field(
        default="127.0.0.1",
        description="Address of the bot's and the sender's /healthz, /readyz and /metrics server.",
    )
    health_port: int = Field(
        default=8091,
        ge=0,
        description="Port of that server (`akar bot`, `akar broadcast serve`); 0 switches it off.",
    )
    broadcast_rate: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Broadcast messages per second. Unset: 25 (Telegram's free limit is about 30), "
            "or 1,000 with ALLOW_PAID_BROADCAST."
        ),
    )
    allow_paid_broadcast: bool = Field(
        default=False,
        description="Send broadcasts with allow_paid_broadcast (up to 1,000/s, billed in Stars).",
    )
    redis_url: str | None = Field(
        default=None,
        description=(
            "redis://host:6379/0: every broadcast sender shares one pace, per-chat spacing and "
            "429 pause through it, so several senders never exceed BROADCAST_RATE together. "
            "Unset: each sender paces itself alone (run exactly one)."
        ),
    )
    broadcast_in_bot: bool = Field(
        default=True,
        description=(
            "The bot process also sends due broadcasts. Set false when `akar broadcast serve` "
            "runs as a service of its own: two senders would each use the whole rate."
        ),
    )

    web_host: str = Field(
        default="127.0.0.1",
        description="Support desk address; 0.0.0.0 exposes it to the network (put HTTPS in front).",
    )
    web_port: int = Field(default=8080, description="Support desk port (`akar web`, `akar run`).")
    web_secure_cookies: bool = Field(
        default=False,
        description=(
            "Always mark desk cookies Secure. Needed behind a TLS proxy that does not send "
            "X-Forwarded-Proto; without it cookies are Secure only when the request is HTTPS."
        ),
    )
    web_session_hours: float = Field(
        default=12.0, gt=0, description="A desk login lasts this long, then staff sign in again."
    )
    web_secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Signs the login form's CSRF token. Unset: a random key per process, so a login "
            "page opened before a restart must be reloaded."
        ),
    )

    # Support (issue #6): where handoff requests are announced, and the desk's address in links.
    support_chat_id: int | None = Field(
        default=None,
        description=(
            "Telegram chat (a support group, or a person) told when a seller asks for a person. "
            "Unset: no notification; the desk's queue still shows the request."
        ),
    )
    web_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The support desk's address as staff open it (links in notifications).",
    )

    # Privacy (issue #7).
    transcript_retention_days: int = Field(
        default=365,
        gt=0,
        description=(
            "Messages older than this many days lose their content (daily job in the bot, "
            "`akar privacy retain`). 365 is a placeholder: the programme decides the period."
        ),
    )

    # --- Rasa for many users (issue #7) ----------------------------------------------------------
    # Several Rasa servers share conversations through a SQL tracker store (PostgreSQL) and a
    # Redis lock store; both unset keeps Rasa's in-memory stores (one server: dev, `akar run`).
    # See docs/OPERATIONS.md, "Scaling Rasa".
    rasa_workers: int = Field(
        default=1,
        ge=1,
        description=(
            "Rasa server processes `akar run` starts, on RASA_PORT, RASA_PORT+1, ...; the bot "
            "spreads messages over them. More than 1 needs RASA_TRACKER_STORE_URL and "
            "RASA_LOCK_STORE_URL. About one per CPU core (NLU inference is CPU-bound)."
        ),
    )
    rasa_tracker_store_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the PostgreSQL database holding Rasa's conversation events "
            "(its `events` table), e.g. postgresql://akar:pw@db:5432/akar_rasa. A database of its "
            "own is recommended. Rasa (psycopg2) and the privacy jobs (psycopg 3, which delete "
            "a seller's rows there) each use their own driver. Unset: Rasa's in-memory store."
        ),
    )
    rasa_lock_store_url: str | None = Field(
        default=None,
        description=(
            "redis://[:password@]host:6379/1: Rasa's lock store, so two Rasa servers never "
            "handle one conversation at the same time. Needed with RASA_TRACKER_STORE_URL."
        ),
    )

    @property
    def broadcast_messages_per_second(self) -> float:
        if self.broadcast_rate is not None:
            return self.broadcast_rate
        return PAID_BROADCAST_RATE if self.allow_paid_broadcast else FREE_BROADCAST_RATE

    @property
    def rasa_base_url(self) -> str:
        """One URL, or several comma-separated (one per Rasa server; RasaClient spreads over
        them). Default: the RASA_WORKERS local servers `akar run` starts from RASA_PORT on."""
        if self.rasa_url:
            return self.rasa_url.rstrip("/")
        ports = range(self.rasa_port, self.rasa_port + self.rasa_workers)
        return ",".join(f"http://127.0.0.1:{port}" for port in ports)

    @property
    def action_endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.action_server_port}/webhook"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
