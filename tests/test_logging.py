"""Log lines: JSON objects with the agreed fields when LOG_FORMAT=json, secrets masked in every
part of a line (message, extra fields, traceback) in both formats, and a real `akar` process
writing JSON to stderr."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.cli import build_parser, service_name
from bot.config import Settings
from bot.logging_setup import NOISY_LOGGERS, configure_logging, make_handler
from bot.stack import PROJECT_ROOT
from bot.supervisor import as_json_line

TOKEN = "123456:SECRET-token-never-in-a-log"
ODD_KEY = 'key-with-"quote"-and-\\backslash'


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    test_logger = logging.getLogger("akar.test.logging")
    test_logger.propagate = False
    test_logger.setLevel(logging.INFO)
    yield test_logger
    test_logger.handlers.clear()


def capture(logger: logging.Logger, log_format: str, service: str = "bot") -> io.StringIO:
    settings = Settings(
        log_format=log_format,  # type: ignore[arg-type]
        telegram_bot_token=SecretStr(TOKEN),
        web_secret_key=SecretStr(ODD_KEY),
    )
    handler = make_handler(settings, service)
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logger.handlers[:] = [handler]
    return stream


def log_everything(logger: logging.Logger) -> None:
    logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    logger.warning("chat %s blocked the bot", 42, extra={"chat_id": 42, "url": f"/bot{TOKEN}/x"})
    logger.info("desk key %s", ODD_KEY)
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        logger.exception("sending failed")


def test_json_lines_carry_the_fields_and_no_secret(logger: logging.Logger) -> None:
    stream = capture(logger, "json")
    log_everything(logger)
    text = stream.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 4
    for record in records:
        assert record["service"] == "bot"
        assert record["logger"] == "akar.test.logging"
        assert record["process"] == os.getpid()
        assert record["timestamp"].endswith("+00:00")
    assert [r["level"] for r in records] == ["INFO", "WARNING", "INFO", "ERROR"]
    assert records[0]["message"] == "calling https://api.telegram.org/bot***/getMe"
    assert records[1]["chat_id"] == 42 and records[1]["url"] == "/bot***/x"
    assert records[2]["message"] == "desk key ***"
    assert (
        "RuntimeError" in records[3]["exc_info"] and "/bot***/sendMessage" in records[3]["exc_info"]
    )
    assert TOKEN not in text and "quote" not in text


def test_text_lines_are_masked_too(logger: logging.Logger) -> None:
    stream = capture(logger, "text")
    log_everything(logger)
    text = stream.getvalue()
    assert " INFO akar.test.logging: calling https://api.telegram.org/bot***/getMe" in text
    assert "Traceback" in text and "/bot***/sendMessage" in text
    assert TOKEN not in text and ODD_KEY not in text


def test_configure_logging_replaces_the_root_handler_and_quietens_httpx() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    try:
        configure_logging(Settings(log_format="json", log_level="WARNING"), "web")
        assert len(root.handlers) == 1 and root.level == logging.WARNING
        assert logging.getLogger("httpx").level == logging.WARNING
    finally:  # other tests read httpx's INFO records through caplog
        root.handlers[:] = saved
        root.setLevel(level)
        for name, noisy_level in noisy.items():
            logging.getLogger(name).setLevel(noisy_level)


@pytest.mark.parametrize(
    ("argv", "service"),
    [
        (["bot"], "bot"),
        (["web"], "web"),
        (["run"], "akar"),
        (["broadcast", "serve"], "sender"),
        (["broadcast", "send"], "broadcast"),
        (["db", "upgrade"], "db"),
    ],
)
def test_each_command_logs_as_its_service(argv: list[str], service: str) -> None:
    assert service_name(build_parser().parse_args(argv)) == service


def test_supervisor_keeps_json_lines_and_wraps_the_rest() -> None:
    line = '{"level": "INFO", "message": "hi", "service": "bot"}'
    assert as_json_line("bot", line) == line
    wrapped = json.loads(as_json_line("rasa", "2026-01-01 INFO rasa.core  - Starting"))
    assert wrapped["service"] == "rasa" and wrapped["message"].endswith("Starting")
    assert {"timestamp", "level", "logger"} <= wrapped.keys()
    # A JSON value that is not an object (a number, a list) is wrapped like any text.
    assert json.loads(as_json_line("rasa", "[1, 2]"))["message"] == "[1, 2]"


def test_a_real_akar_process_writes_json_to_stderr(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'akar.db'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,  # away from a developer's .env in the project root
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records, done.stderr
    assert {r["service"] for r in records} == {"db"}
    assert any("Upgrading database" in r["message"] for r in records)
