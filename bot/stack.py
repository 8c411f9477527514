"""The assistant's processes (Rasa, actions, the bot, the support desk) and how `akar run` brings
them up and down together."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.config import Settings
from bot.privacy.rasa_tracker import rasa_tracker_url
from bot.rasa_client import RasaClient
from bot.supervisor import Service, ServiceFailed, ServiceSpec, Supervisor
from bot.telegram_app import READY_LINE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ACTIONS_JSON_LOGGING = PROJECT_ROOT / "bot" / "observability" / "actions_logging.yml"
RASA_START_TIMEOUT = 180.0  # loading TensorFlow and the model takes ~15-30 s on 2 cores
START_TIMEOUT = 60.0


def rasa_worker_ports(settings: Settings) -> list[int]:
    """The ports of the RASA_WORKERS local Rasa servers: RASA_PORT, RASA_PORT+1, ..."""
    return [settings.rasa_port + i for i in range(settings.rasa_workers)]


def rasa_store_env(settings: Settings) -> dict[str, str]:
    """The variables endpoints.shared.yml reads, from RASA_TRACKER_STORE_URL and
    RASA_LOCK_STORE_URL; {} for the in-memory stores (endpoints.yml). Raises ValueError for a
    shape that would lose or mix up conversations: several servers each with a memory of its
    own, or a shared tracker store without the lock that keeps two servers off one
    conversation."""
    tracker, lock = settings.rasa_tracker_store_url, settings.rasa_lock_store_url
    if tracker is None and lock is None:
        if settings.rasa_workers > 1:
            raise ValueError(
                f"RASA_WORKERS={settings.rasa_workers} needs RASA_TRACKER_STORE_URL and "
                "RASA_LOCK_STORE_URL: with in-memory stores each server would only know the "
                "conversations it happened to handle"
            )
        return {}
    if tracker is None or lock is None:
        raise ValueError("RASA_TRACKER_STORE_URL and RASA_LOCK_STORE_URL are set together")
    redis_url = urlsplit(lock)
    if redis_url.scheme != "redis" or not redis_url.hostname:
        raise ValueError(f"RASA_LOCK_STORE_URL must be redis://host:port/db, not {lock!r}")
    db = redis_url.path.strip("/") or "1"
    if not db.isdigit():
        raise ValueError(f"RASA_LOCK_STORE_URL: the Redis database must be a number, not {db!r}")
    return {
        "RASA_TRACKER_STORE_URL": rasa_tracker_url(tracker),
        "RASA_LOCK_STORE_HOST": redis_url.hostname,
        "RASA_LOCK_STORE_PORT": str(redis_url.port or 6379),
        "RASA_LOCK_STORE_DB": db,
        "RASA_LOCK_STORE_PASSWORD": unquote(redis_url.password or ""),
    }


def rasa_spec(settings: Settings, log_dir: Path | None, worker: int = 0) -> ServiceSpec:
    """Rasa server number `worker` (0-based) of RASA_WORKERS; alone it is simply "rasa"."""
    rasa = Path(settings.rasa_executable)
    if not rasa.is_absolute():
        rasa = PROJECT_ROOT / rasa
    port = rasa_worker_ports(settings)[worker]
    rasa_client = RasaClient(f"http://127.0.0.1:{port}", timeout=2.0, connect_retries=0)
    try:
        stores = rasa_store_env(settings)
    except ValueError as exc:
        raise ServiceFailed(str(exc)) from exc
    endpoints = "endpoints.shared.yml" if stores else "endpoints.yml"
    name = "rasa" if settings.rasa_workers == 1 else f"rasa-{worker + 1}"
    return ServiceSpec(
        name=name,
        argv=[
            str(rasa),
            "run",
            "--enable-api",
            "--model",
            str(PROJECT_ROOT / settings.rasa_model),
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--endpoints",
            str(PROJECT_ROOT / endpoints),
            "--credentials",
            str(PROJECT_ROOT / "credentials.yml"),
        ],
        env={
            "ACTION_ENDPOINT_URL": settings.action_endpoint_url,
            **stores,
            # The model names its custom NLU component by module path (akar_nlu.answer_classifier).
            "PYTHONPATH": str(PROJECT_ROOT),
            # No network here, and no usage data leaves a seller-facing deployment.
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        },
        probe=rasa_client.is_ready,
        port=port,
        port_setting="RASA_PORT",
        log_file=log_dir / f"{name}.log" if log_dir else None,
    )


def rasa_specs(settings: Settings, log_dir: Path | None) -> list[ServiceSpec]:
    """One spec per Rasa server (RASA_WORKERS), each a supervised service of its own."""
    return [rasa_spec(settings, log_dir, worker) for worker in range(settings.rasa_workers)]


def actions_spec(settings: Settings, log_dir: Path | None) -> ServiceSpec:
    argv = [
        sys.executable,
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.action_server_port),
    ]
    if settings.log_format == "json":
        # Spelled so by rasa-sdk 3.21 (an underscore in the middle).
        argv += ["--logging-config_file", str(ACTIONS_JSON_LOGGING)]
    return ServiceSpec(
        name="actions",
        argv=argv,
        # rasa-sdk listens on 0.0.0.0 unless told otherwise; Rasa is its only client.
        env={"PYTHONPATH": str(PROJECT_ROOT), "SANIC_HOST": "127.0.0.1"},
        probe_url=f"http://127.0.0.1:{settings.action_server_port}/health",
        port=settings.action_server_port,
        port_setting="ACTION_SERVER_PORT",
        log_file=log_dir / "actions.log" if log_dir else None,
    )


def web_spec(settings: Settings, log_dir: Path | None) -> ServiceSpec:
    """The support desk (bot/desk/); healthy once GET /readyz answers (its database too)."""
    host = settings.web_host
    probe_host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in probe_host:
        probe_host = f"[{probe_host}]"
    return ServiceSpec(
        name="web",
        argv=[sys.executable, "-m", "bot", "web"],
        env={"PYTHONPATH": str(PROJECT_ROOT)},
        probe_url=f"http://{probe_host}:{settings.web_port}/readyz",
        port=settings.web_port,
        port_setting="WEB_PORT",
        log_file=log_dir / "web.log" if log_dir else None,
    )


def desk_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.web_host in ("", "0.0.0.0", "::") else settings.web_host
    return f"http://{host}:{settings.web_port}/"


def bot_spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="bot",
        argv=[sys.executable, "-m", "bot", "bot"],
        env={"RASA_URL": settings.rasa_base_url},
        ready_line=READY_LINE,
        # Its /healthz, /readyz and /metrics server (bot/observability/health_server.py).
        port=settings.health_port or None,
        port_setting="HEALTH_PORT",
    )


async def run_stack(settings: Settings, *, chat: bool) -> int:
    """Start everything, wait until healthy, then serve until Ctrl-C or a child dies."""
    supervisor = Supervisor(json_lines=settings.log_format == "json")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log_dir = PROJECT_ROOT / "logs" if chat else None
    try:
        if chat:
            supervisor.say(
                f"tidak ada TELEGRAM_BOT_TOKEN: membuka chat lokal (log layanan di {log_dir})"
            )
        actions = await supervisor.start(actions_spec(settings, log_dir))
        rasa_servers = [await supervisor.start(spec) for spec in rasa_specs(settings, log_dir)]
        # The desk needs only the database, so it starts while Rasa loads its model.
        web = await supervisor.start(web_spec(settings, log_dir))
        await supervisor.wait_healthy(actions, START_TIMEOUT)
        await supervisor.wait_healthy(web, START_TIMEOUT)
        # Servers load their models in parallel; on a busy machine each needs the whole timeout.
        for rasa in rasa_servers:
            await supervisor.wait_healthy(rasa, RASA_START_TIMEOUT)
        supervisor.say(f"support desk: {desk_url(settings)}")
        if chat:
            from bot.terminal_chat import run_terminal_chat

            chat_task = asyncio.create_task(run_terminal_chat(settings))
            return await _serve(supervisor, stop, extra=chat_task)
        bot = await supervisor.start(bot_spec(settings))
        await supervisor.wait_healthy(bot, START_TIMEOUT)
        supervisor.say("all services ready; press Ctrl-C to stop")
        return await _serve(supervisor, stop)
    except ServiceFailed as exc:
        supervisor.say(f"ERROR: {exc}")
        return 1
    finally:
        await supervisor.stop_all()


async def _serve(
    supervisor: Supervisor, stop: asyncio.Event, extra: asyncio.Task[None] | None = None
) -> int:
    stop_task = asyncio.create_task(stop.wait())
    exit_task: asyncio.Task[Service] = asyncio.create_task(supervisor.wait_any_exit())
    waiting: set[asyncio.Task[Any]] = {stop_task, exit_task}
    if extra is not None:
        waiting.add(extra)
    done, pending = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if exit_task in done:
        crashed = exit_task.result()
        supervisor.say(f"ERROR: {crashed.spec.name} exited unexpectedly; stopping everything")
        return 1
    if extra is not None and extra in done and extra.exception() is not None:
        raise extra.exception()  # type: ignore[misc]
    return 0
