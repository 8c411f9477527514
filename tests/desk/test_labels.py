"""Every message status and kind the code stores has an Indonesian label on the desk
(bot/desk/labels.py). The codes are collected from the source with `ast`, not listed by hand, so a
new `finish_incoming(status="...")` or a new message kind fails here until it has a label."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.db import repository
from bot.db.models import MessageKind, Role, utcnow
from bot.desk.labels import HANDOFF_NAMES, KIND_NAMES, STATUS_NAMES
from bot.handlers import _MEDIA_KINDS
from bot.stack import PROJECT_ROOT
from bot.support import handoff
from tests.desk.support import login, make_staff
from tests.support_db import add_seller

SOURCE: Final = PROJECT_ROOT / "bot"
# Calls that store a message status, and where a positional status argument sits.
STATUS_CALLS: Final = {
    "finish_incoming": None,
    "mark_incoming_status": 2,
    "record_sent": None,
    "record_outgoing": None,
    "_Outcome": 1,
}
STATUS_KEYWORDS: Final = frozenset({"status", "delivery_status"})
# Expressions that pass a status through from a caller (collected at that caller).
PASS_THROUGH: Final = frozenset({"status", "delivery_status", "outcome.status"})


def _trees() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _constants() -> dict[str, str]:
    """Module-level string constants by name (`HELD: Final = "handoff"`)."""
    found: dict[str, str] = {}
    for _, tree in _trees():
        for node in tree.body:
            target = value = None
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                target, value = node.target.id, node.value
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                target, value = node.targets[0].id, node.value
            if target and isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.setdefault(target, value.value)
    return found


def _strings(node: ast.expr, constants: dict[str, str], where: str) -> set[str]:
    """The strings an expression can be: a literal, either branch of `a if c else b`, or a
    module constant (`handoff.REQUEST_STATUS`). Anything else must be a known pass-through."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants, where) | _strings(node.orelse, constants, where)
    name = node.id if isinstance(node, ast.Name) else None
    if isinstance(node, ast.Attribute):
        name = node.attr
    if name and name.isupper() and name in constants:
        return {constants[name]}
    code = ast.unparse(node)
    # A status copied from a stored row (`delivery_status=message.delivery_status`), or passed
    # on from a caller, is collected where it was first set.
    copied = code.endswith(".delivery_status")
    assert code in PASS_THROUGH or copied, f"{where}: cannot tell which status {code!r} is"
    return set()


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    arguments = function.args.args + function.args.kwonlyargs
    defaults: list[ast.expr | None] = [None] * (
        len(function.args.args) - len(function.args.defaults)
    )
    defaults += [*function.args.defaults, *function.args.kw_defaults]
    return {a.arg: d for a, d in zip(arguments, defaults, strict=True) if d is not None}


def stored_statuses() -> set[str]:
    constants = _constants()
    found: set[str] = set()
    for path, tree in _trees():
        for node in ast.walk(tree):
            where = f"{path.relative_to(PROJECT_ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and _call_name(node) in STATUS_CALLS:
                for keyword in node.keywords:
                    if keyword.arg in STATUS_KEYWORDS:
                        found |= _strings(keyword.value, constants, where)
                position = STATUS_CALLS[_call_name(node) or ""]
                if position is not None and len(node.args) > position:
                    found |= _strings(node.args[position], constants, where)
            elif isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "delivery_status":
                        found |= _strings(keyword.value, constants, where)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if node.value is not None and any(
                    isinstance(t, ast.Attribute) and t.attr == "delivery_status" for t in targets
                ):
                    found |= _strings(node.value, constants, where)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                node.name in STATUS_CALLS
            ):
                for name, default in _defaults(node).items():
                    if name in STATUS_KEYWORDS:
                        found |= _strings(default, constants, where)
    return found


# Calls that store a message kind, and the functions whose `kind` default is stored.
KIND_CALLS: Final = frozenset({"record_incoming", "handle_text", "handle_unsupported"})
HANDLERS: Final = PROJECT_ROOT / "bot" / "handlers.py"  # `kind = ...`, `message_kind()`


def stored_kinds() -> set[str]:
    """MessageKind, the media kinds of bot/handlers.py, and every literal `kind` given to a call
    that stores a message (a keyword, a default, or a value the Telegram handlers compute)."""
    found = {str(kind.value) for kind in MessageKind} | {kind for _, kind in _MEDIA_KINDS}
    for path, tree in _trees():
        for node in ast.walk(tree):
            where = f"{path.relative_to(PROJECT_ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and _call_name(node) in KIND_CALLS:
                for keyword in node.keywords:
                    if keyword.arg == "kind":
                        found |= _kinds(keyword.value, where)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in KIND_CALLS and "kind" in _defaults(node):
                    found |= _kinds(_defaults(node)["kind"], where)
                if path == HANDLERS and node.name == "message_kind":
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Return) and inner.value is not None:
                            found |= _kinds(inner.value, where)
            elif (
                path == HANDLERS
                and isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "kind" for t in node.targets)
            ):
                found |= _kinds(node.value, where)
    return found


def _kinds(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _kinds(node.body, where) | _kinds(node.orelse, where)
    code = ast.unparse(node)
    assert code in ("kind", "message_kind(update)"), f"{where}: which kind is {code!r}?"
    return set()


def test_the_collector_finds_the_known_statuses_and_kinds() -> None:
    """The collector itself works: it finds statuses from each kind of place they are set."""
    statuses = stored_statuses()
    assert {
        "answered",  # finish_incoming(status=...)
        "opted_out",  # ... "opted_out" if opted_out else "opted_in"
        "opted_in",
        handoff.REQUEST_STATUS,  # message.delivery_status = handoff.REQUEST_STATUS
        handoff.HELD,  # HELD_ACKNOWLEDGED if acknowledge else HELD
        "stale_button",  # incoming.delivery_status = "stale_button"
        "sent",  # record_sent(status: str = "sent")
        "blocked",  # record_sent(..., status="blocked") and _Outcome(None, "blocked", ...)
        "failed",
    } <= statuses
    assert {"callback", "command", "edited", "text", "photo", "video"} <= stored_kinds()


def test_every_stored_status_has_an_indonesian_label() -> None:
    missing = sorted(stored_statuses() - STATUS_NAMES.keys())
    assert missing == [], f"add these to STATUS_NAMES in bot/desk/labels.py: {missing}"


def test_every_message_kind_has_an_indonesian_label() -> None:
    missing = sorted(stored_kinds() - KIND_NAMES.keys())
    assert missing == [], f"add these to KIND_NAMES in bot/desk/labels.py: {missing}"


def test_every_handoff_state_has_a_label() -> None:
    assert set(HANDOFF_NAMES) == {handoff.REQUESTED, handoff.STAFF}


async def test_the_conversation_page_shows_the_labels_not_the_codes(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    samples = [
        ("photo", "unsupported"),
        ("command", "learning"),
        ("callback", "stale_button"),
        ("command", "whoami"),
        ("text", "no_words"),
        ("command", "opted_out"),
        ("sticker", "unsupported"),
    ]
    with sessions.begin() as session:
        seller = add_seller(session, 7300, "Lina")
        for kind, status in samples:
            message = repository.record_incoming(
                session, seller, kind=kind, text=None, telegram_message_id=None, now=utcnow()
            )
            message.delivery_status = status
        seller_id = seller.id
    await login(client, "dina")
    page = await client.get(f"/percakapan/{seller_id}")
    for kind, status in samples:
        if kind != "text":
            assert f'title="Jenis pesan">{KIND_NAMES[kind]}</span>' in page.text
        assert f'title="Status">{STATUS_NAMES[status]}</span>' in page.text
    for code in ("photo", "callback", "stale_button", "whoami", "no_words", "opted_out"):
        assert f">{code}<" not in page.text
