"""`akar users create-staff | set-password | disable | enable` as an operator runs them (a real
`akar` process, password on standard input), plus the getpass path in-process."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db.models import StaffAccount, StaffSession, utcnow
from bot.desk import accounts, passwords, staff_sessions
from bot.desk.accounts_cli import cmd_staff
from bot.stack import PROJECT_ROOT

SECRET = "sandi-operator-789xyz"


def akar(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_create_staff_with_password_stdin(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    granted = akar(database_url, "users", "grant", "4242", "support")
    assert granted.returncode == 0, granted.stderr
    created = akar(
        database_url,
        "users",
        "create-staff",
        "Dina",
        "--telegram-id",
        "4242",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "'dina' dibuat" in created.stdout
    assert "Peran: support" in created.stdout
    assert SECRET not in created.stdout + created.stderr
    with sessions() as session:
        account = session.scalars(select(StaffAccount)).one()
        assert (account.username, account.telegram_user_id) == ("dina", 4242)
        assert account.password_hash.startswith("$argon2id$")
        assert passwords.verify(account.password_hash, SECRET)

    again = akar(
        database_url,
        "users",
        "create-staff",
        "dina",
        "--telegram-id",
        "99",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert again.returncode == 1
    assert "sudah ada" in again.stderr


def test_create_staff_rules(database_url: str) -> None:
    short = akar(
        database_url,
        "users",
        "create-staff",
        "budi",
        "--telegram-id",
        "7",
        "--password-stdin",
        stdin="pendek\n",
    )
    assert short.returncode == 1
    assert "minimal 12 karakter" in short.stderr
    bad_name = akar(
        database_url,
        "users",
        "create-staff",
        "a b",
        "--telegram-id",
        "7",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert bad_name.returncode == 1
    assert "Nama pengguna" in bad_name.stderr
    no_role = akar(
        database_url,
        "users",
        "create-staff",
        "budi",
        "--telegram-id",
        "7",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert no_role.returncode == 0
    assert "belum punya peran" in no_role.stdout
    missing_id = akar(database_url, "users", "create-staff", "eka", "--password-stdin")
    assert missing_id.returncode == 2  # argparse: --telegram-id is required


def test_set_password_disable_enable(database_url: str, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        account = accounts.create(session, "sari", 11, SECRET)
        account.failed_logins = 3
        staff_sessions.start(session, account, lifetime=accounts.LOCK_DURATION)
    changed = akar(
        database_url,
        "users",
        "set-password",
        "sari",
        "--password-stdin",
        stdin="baru-sekali-12345\n",
    )
    assert changed.returncode == 0, changed.stderr
    assert "semua sesinya diakhiri" in changed.stdout
    with sessions() as session:
        account = session.scalars(select(StaffAccount)).one()
        assert passwords.verify(account.password_hash, "baru-sekali-12345")
        assert account.failed_logins == 0
        assert session.scalars(select(StaffSession)).all() == []

    with sessions.begin() as session:
        staff_sessions.start(session, account, lifetime=accounts.LOCK_DURATION, now=utcnow())
    assert akar(database_url, "users", "disable", "sari").returncode == 0
    with sessions() as session:
        assert session.scalars(select(StaffAccount)).one().disabled
        assert session.scalars(select(StaffSession)).all() == []
    assert akar(database_url, "users", "enable", "sari").returncode == 0
    with sessions() as session:
        assert not session.scalars(select(StaffAccount)).one().disabled
    unknown = akar(database_url, "users", "disable", "siapa")
    assert unknown.returncode == 1
    assert "tidak ada" in unknown.stderr


def test_role_commands_still_work(database_url: str) -> None:
    assert akar(database_url, "users", "grant", "55", "trainer").returncode == 0
    listed = akar(database_url, "users", "list")
    assert listed.stdout.strip() == "55\ttrainer"
    assert akar(database_url, "users", "grant").returncode == 2
    assert akar(database_url, "users", "revoke", "55").returncode == 0
    assert akar(database_url, "users", "revoke", "55").returncode == 1


def test_getpass_asks_twice(
    database_url: str, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=database_url)
    args = argparse.Namespace(
        action="create-staff", username="eka", telegram_id=8, password_stdin=False
    )
    answers = iter([SECRET, SECRET + "-beda"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cmd_staff(settings, args) == 2
    answers = iter([SECRET, SECRET])
    assert cmd_staff(settings, args) == 0
    with sessions() as session:
        assert session.scalars(select(StaffAccount.username)).all() == ["eka"]
