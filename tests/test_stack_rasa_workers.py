"""How `akar run` starts Rasa for many users (bot/stack.py): RASA_WORKERS servers on consecutive
ports, the shared-store endpoints file and the variables it reads, and the refusal of shapes
that would lose conversations. Starting real servers is tests/e2e/test_rasa_scaling.py."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings
from bot.stack import PROJECT_ROOT, bot_spec, rasa_specs, rasa_store_env
from bot.supervisor import ServiceFailed

TRACKER = "postgresql+psycopg://akar:rahasia@db:5432/akar_rasa"
LOCK = "redis://:kunci%21@cache:6380/2"


def settings(**values: object) -> Settings:
    return Settings(telegram_bot_token=None, rasa_port=5005, **values)  # type: ignore[arg-type]


def test_one_server_with_memory_stores_by_default() -> None:
    [spec] = rasa_specs(settings(), None)
    assert spec.name == "rasa" and spec.port == 5005
    assert spec.argv[spec.argv.index("--endpoints") + 1] == str(PROJECT_ROOT / "endpoints.yml")
    assert not any(key.startswith("RASA_LOCK") for key in spec.env)
    assert bot_spec(settings()).env["RASA_URL"] == "http://127.0.0.1:5005"


def test_several_servers_share_the_stores() -> None:
    shape = settings(rasa_workers=3, rasa_tracker_store_url=TRACKER, rasa_lock_store_url=LOCK)
    specs = rasa_specs(shape, None)
    assert [(s.name, s.port) for s in specs] == [
        ("rasa-1", 5005),
        ("rasa-2", 5006),
        ("rasa-3", 5007),
    ]
    for spec in specs:
        assert spec.argv[spec.argv.index("--port") + 1] == str(spec.port)
        endpoints = spec.argv[spec.argv.index("--endpoints") + 1]
        assert endpoints == str(PROJECT_ROOT / "endpoints.shared.yml")
        assert spec.env["RASA_TRACKER_STORE_URL"] == (
            "postgresql+psycopg2://akar:rahasia@db:5432/akar_rasa"  # Rasa's driver
        )
    # The bot is told every server.
    assert bot_spec(shape).env["RASA_URL"] == (
        "http://127.0.0.1:5005,http://127.0.0.1:5006,http://127.0.0.1:5007"
    )


def test_the_lock_store_url_is_taken_apart_for_rasa() -> None:
    env = rasa_store_env(settings(rasa_tracker_store_url=TRACKER, rasa_lock_store_url=LOCK))
    assert env["RASA_LOCK_STORE_HOST"] == "cache"
    assert env["RASA_LOCK_STORE_PORT"] == "6380"
    assert env["RASA_LOCK_STORE_DB"] == "2"
    assert env["RASA_LOCK_STORE_PASSWORD"] == "kunci!"
    bare = rasa_store_env(
        settings(rasa_tracker_store_url=TRACKER, rasa_lock_store_url="redis://cache")
    )
    assert (bare["RASA_LOCK_STORE_PORT"], bare["RASA_LOCK_STORE_DB"]) == ("6379", "1")
    assert bare["RASA_LOCK_STORE_PASSWORD"] == ""  # set, or Rasa refuses the file


def test_the_endpoints_file_reads_exactly_what_the_stack_sets() -> None:
    lines = (PROJECT_ROOT / "endpoints.shared.yml").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    referenced = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    env = rasa_store_env(settings(rasa_tracker_store_url=TRACKER, rasa_lock_store_url=LOCK))
    assert referenced == {*env, "ACTION_ENDPOINT_URL"}
    # Rasa substitutes only in unquoted scalars.
    assert not re.search(r"[\"']\$\{", text)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rasa_workers": 2}, "RASA_WORKERS=2 needs RASA_TRACKER_STORE_URL"),
        ({"rasa_tracker_store_url": TRACKER}, "set together"),
        ({"rasa_lock_store_url": LOCK}, "set together"),
        (
            {"rasa_tracker_store_url": TRACKER, "rasa_lock_store_url": "http://cache:6379"},
            "must be redis://",
        ),
    ],
)
def test_shapes_that_would_lose_conversations_are_refused(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ServiceFailed, match=message):
        rasa_specs(settings(**values), None)


def test_rasa_url_may_name_several_servers() -> None:
    shape = settings(rasa_url="http://rasa-a:5005/,http://rasa-b:5005", rasa_workers=2)
    assert shape.rasa_base_url == "http://rasa-a:5005/,http://rasa-b:5005"
    assert settings(rasa_workers=2).rasa_base_url == "http://127.0.0.1:5005,http://127.0.0.1:5006"
