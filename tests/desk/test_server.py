"""The desk as `akar run` starts it: a real uvicorn process under the supervisor, probed on
/healthz, spoken to over real HTTP; and what it logs."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Role
from tests.desk.support import PASSWORD, login, make_staff, running_desk


async def test_akar_web_serves_the_desk_and_logs_no_secrets(
    database_url: str, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    async with (
        running_desk(database_url, monkeypatch) as (base_url, output),
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        health = await client.get("/healthz")
        assert health.json() == {"status": "ok"}
        assert "server" not in health.headers
        failed = await login(client, "sari", "tebakan-salah-sekali")
        assert failed.status_code == 401
        signed_in = await login(client, "sari")
        assert signed_in.status_code == 303
        page = await client.get("/laporan-siaran", params={"cari": "Budi-0812-rahasia"})
        assert page.status_code == 200
        assert "Laporan siaran" in page.text
    logs = output.getvalue()
    assert "web is healthy" in logs
    assert '"GET /laporan-siaran HTTP/1.1" 200' in logs
    assert '"POST /masuk HTTP/1.1" 401' in logs
    # No query strings (search terms are personal data), no passwords, no session tokens.
    assert "Budi-0812-rahasia" not in logs
    assert PASSWORD not in logs and "tebakan-salah-sekali" not in logs
    assert signed_in.cookies["akar_desk"] not in logs
