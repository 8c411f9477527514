"""`akar users ...`: staff roles (grant, revoke, list) and desk accounts (create-staff,
set-password, disable, enable).

Passwords are read with getpass (asked twice, never echoed) or, for scripts and tests, from the
first line of standard input with `--password-stdin`; never from the command line, where they
would sit in the shell history and in `ps`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import IO

from bot.broadcast.roles import role_of
from bot.config import Settings
from bot.db.models import Role
from bot.db.session import make_engine, make_session_factory, session_scope
from bot.desk import accounts
from bot.desk.passwords import MIN_LENGTH

Command = Callable[[Settings, argparse.Namespace], int]
STAFF_ACTIONS = ("create-staff", "set-password", "disable", "enable")


class PasswordInputError(Exception):
    pass


def read_password(from_stdin: bool, stdin: IO[str] | None = None) -> str:
    if from_stdin:
        line = (stdin or sys.stdin).readline()
        return line.rstrip("\r\n")
    first = getpass.getpass(f"Kata sandi (minimal {MIN_LENGTH} karakter): ")
    second = getpass.getpass("Ulangi kata sandi: ")
    if first != second:
        raise PasswordInputError("Kedua kata sandi tidak sama.")
    return first


def cmd_staff(settings: Settings, args: argparse.Namespace) -> int:
    needs_password = args.action in ("create-staff", "set-password")
    try:
        password = read_password(args.password_stdin) if needs_password else ""
    except (PasswordInputError, EOFError) as exc:
        print(str(exc) or "Kata sandi tidak terbaca.", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if args.action == "create-staff":
                account = accounts.create(session, args.username, args.telegram_id, password)
                role = role_of(session, account.telegram_user_id)
                print(
                    f"Akun meja dukungan {account.username!r} dibuat (Telegram {args.telegram_id})."
                )
                if role is None:
                    print(
                        f"Catatan: Telegram {args.telegram_id} belum punya peran; beri dengan "
                        f"`akar users grant {args.telegram_id} support` (atau admin, trainer)."
                    )
                else:
                    print(f"Peran: {role.value} (dibaca dari staff_roles setiap kali dipakai).")
            elif args.action == "set-password":
                account = accounts.set_password(session, args.username, password)
                print(f"Kata sandi {account.username!r} diganti; semua sesinya diakhiri.")
            else:
                disabled = args.action == "disable"
                account = accounts.set_disabled(session, args.username, disabled)
                state = "dinonaktifkan (semua sesinya diakhiri)" if disabled else "diaktifkan"
                print(f"Akun {account.username!r} {state}.")
    except accounts.AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def add_users_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], roles_command: Command
) -> None:
    """`akar users`: the role actions keep their old arguments, `roles_command` runs them."""
    users = sub.add_parser(
        "users",
        help="staff roles (grant, revoke, list) and support desk accounts",
        description=(
            "Roles decide what staff may do, in Telegram and in the support desk. A desk "
            "account (create-staff) is a login tied to a Telegram id; its role is that id's role."
        ),
    )
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")

    grant = actions.add_parser("grant", help="give a Telegram user a role")
    grant.add_argument("user_id", nargs="?", type=int, help="Telegram user id")
    grant.add_argument("role", nargs="?", choices=[r.value for r in Role])
    revoke = actions.add_parser("revoke", help="take a Telegram user's role away")
    revoke.add_argument("user_id", nargs="?", type=int, help="Telegram user id")
    listing = actions.add_parser("list", help="who has which role")
    for parser in (grant, revoke, listing):
        parser.set_defaults(func=roles_command, user_id=None, role=None)

    create = actions.add_parser("create-staff", help="create a support desk login")
    create.add_argument("username", help="login name (lower case, 3-64 characters)")
    create.add_argument(
        "--telegram-id", type=int, required=True, help="the person's Telegram user id"
    )
    set_password = actions.add_parser("set-password", help="change a desk login's password")
    set_password.add_argument("username")
    for parser in (create, set_password):
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (scripts)",
        )
    disable = actions.add_parser("disable", help="stop a desk login (and end its sessions)")
    disable.add_argument("username")
    enable = actions.add_parser("enable", help="allow a disabled desk login again")
    enable.add_argument("username")
    for parser in (create, set_password, disable, enable):
        parser.set_defaults(func=cmd_staff)
