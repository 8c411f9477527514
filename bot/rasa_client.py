"""HTTP client for the Rasa server.

The bot talks to Rasa only over HTTP (the REST channel plus the tracker endpoint), so Rasa can be
scaled, restarted or replaced independently. Every failure mode is turned into `RasaUnavailable`,
which the conversation layer answers with a friendly apology instead of crashing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from bot.observability import metrics

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa could not be reached or answered with an error; the seller gets an apology."""


def operation_of(path: str) -> str:
    """A fixed name for a Rasa endpoint (the metrics label; never the conversation id)."""
    for prefix, name in (
        ("/webhooks/", "message"),
        ("/conversations/", "tracker"),
        ("/domain", "domain"),
        ("/status", "status"),
        ("/model/parse", "parse"),
    ):
        if path.startswith(prefix):
            return name
    return "other"


@dataclass(frozen=True)
class RasaButton:
    title: str
    payload: str


@dataclass(frozen=True)
class RasaReply:
    text: str | None = None
    buttons: tuple[RasaButton, ...] = ()
    image: str | None = None
    # A custom action's `json_message`: here, a learning screen the bot renders itself.
    custom: dict[str, Any] | None = None


@dataclass(frozen=True)
class NluResult:
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]] = field(default_factory=list)
    intent_ranking: list[dict[str, Any]] = field(default_factory=list)
    # The form still asking for details after this turn (e.g. the ongkir calculator), if any.
    active_loop: str | None = None


@dataclass(frozen=True)
class RasaTurn:
    """Everything one seller message produced: the bot's replies and how the NLU read it."""

    replies: tuple[RasaReply, ...]
    nlu: NluResult | None


# The entity of "Maksud Kakak yang mana?" buttons ('/tanya_cod{"jawaban":"paket_ditolak"}',
# actions/topic_answer.py): a reply carrying one is a clarifying question, not an answer.
ANSWER_CHOICE_ENTITY = "jawaban"


def is_answer_choice(payload: str) -> bool:
    return f'{{"{ANSWER_CHOICE_ENTITY}":' in payload


def parse_reply(raw: dict[str, Any]) -> RasaReply:
    buttons = tuple(
        RasaButton(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
        for b in raw.get("buttons") or []
        if b.get("title") and b.get("payload")
    )
    text = raw.get("text")
    image = raw.get("image")
    custom = raw.get("custom")
    return RasaReply(
        text=str(text) if text else None,
        buttons=buttons,
        image=str(image) if image else None,
        custom=custom if isinstance(custom, dict) else None,
    )


def parse_nlu(latest_message: dict[str, Any] | None) -> NluResult | None:
    if not latest_message:
        return None
    intent = latest_message.get("intent") or {}
    entities = [
        {
            k: e[k]
            for k in ("entity", "value", "role", "start", "end", "confidence_entity")
            if k in e
        }
        for e in latest_message.get("entities") or []
    ]
    ranking = [
        {"name": r.get("name"), "confidence": r.get("confidence")}
        for r in latest_message.get("intent_ranking") or []
    ][:10]
    confidence = intent.get("confidence")
    return NluResult(
        intent=intent.get("name"),
        confidence=float(confidence) if confidence is not None else None,
        entities=entities,
        intent_ranking=ranking,
    )


def _reason(exc: httpx.HTTPError) -> str:
    """The metrics label of a failed request."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return "connect"
    return "timeout" if isinstance(exc, httpx.TimeoutException) else "other"


def split_urls(base_url: str | Sequence[str]) -> tuple[str, ...]:
    """ "http://a:5005, http://b:5005" (RASA_URL) or a list: each Rasa server's base URL."""
    parts = base_url.split(",") if isinstance(base_url, str) else list(base_url)
    urls = tuple(part.strip().rstrip("/") for part in parts if part.strip())
    if not urls:
        raise ValueError("no Rasa URL given")
    return urls


class RasaClient:
    """Sends seller messages to Rasa's REST channel and reads back the NLU result.

    Only connection failures (the request never reached Rasa) are retried: retrying after a
    timeout could make Rasa process the same message twice.

    Several Rasa servers (RASA_URL="http://a:5005,http://b:5005", or RASA_WORKERS under
    `akar run`) share conversations through the SQL tracker store and the Redis lock store, so
    any of them may answer any message. Each request goes to the server with the fewest
    requests in flight (ties in turn); a server that refuses a connection is passed over for
    DOWN_SECONDS and the request goes to the next one at once. Behind a load balancer (a
    Kubernetes Service, compose's DNS) RASA_URL is one URL and the balancer does this instead.
    """

    DOWN_SECONDS = 5.0

    # Admission: at most `max_in_flight` messages per server are inside Rasa at once; the rest
    # wait here, up to `queue_timeout`. Rasa works through messages one CPU-bound step at a
    # time, so sending it everything at once under a burst only moves the queue into Rasa,
    # where each waiting message's own `timeout` runs out and the seller gets an apology
    # although Rasa is healthy (`make bench-load` showed it). Waiting here is cheap, and the
    # timeout then measures Rasa's work, not the queue.

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        timeout: float = 10.0,
        connect_retries: int = 2,
        retry_backoff: float = 0.3,
        client: httpx.AsyncClient | None = None,
        max_in_flight: int | None = None,
        queue_timeout: float = 60.0,
    ) -> None:
        self._base_urls = split_urls(base_url)
        self._admission = (
            asyncio.Semaphore(max_in_flight * len(self._base_urls)) if max_in_flight else None
        )
        self._queue_timeout = queue_timeout
        self._connect_retries = connect_retries
        self._retry_backoff = retry_backoff
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=2.0))
        self._owns_client = client is None
        self._in_flight = [0] * len(self._base_urls)
        self._down_until = [0.0] * len(self._base_urls)
        self._turn = 0

    @property
    def base_urls(self) -> tuple[str, ...]:
        return self._base_urls

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _order(self, prefer: int | None) -> list[int]:
        """Servers in the order to try: `prefer` (the one that just took this conversation's
        message) or the least busy, then the others; servers that recently refused last."""
        count = len(self._base_urls)
        if prefer is None:
            start = self._turn % count
            self._turn += 1
            rotated = [(start + i) % count for i in range(count)]
            first = min(rotated, key=lambda i: self._in_flight[i])
        else:
            first = prefer
        rest = [(first + i) % count for i in range(1, count)]
        now = time.monotonic()
        up = [i for i in rest if self._down_until[i] <= now]
        down = [i for i in rest if self._down_until[i] > now]
        if self._down_until[first] > now and up:
            return [*up, first, *down]
        return [first, *up, *down]

    async def _request(
        self, method: str, path: str, *, prefer: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        response, _ = await self._request_on(method, path, prefer=prefer, **kwargs)
        return response

    async def _request_on(
        self, method: str, path: str, *, prefer: int | None = None, **kwargs: Any
    ) -> tuple[httpx.Response, int]:
        """The response and the index of the server that gave it. A refused connection moves on
        to the next server; after a round where every server refused, wait and try another
        round (`connect_retries` of them)."""
        attempt = 0
        while True:
            for index in self._order(prefer):
                base = self._base_urls[index]
                self._in_flight[index] += 1
                try:
                    response = await self._client.request(method, f"{base}{path}", **kwargs)
                except (httpx.ConnectError, httpx.ConnectTimeout):
                    self._down_until[index] = time.monotonic() + self.DOWN_SECONDS
                    if len(self._base_urls) > 1:
                        log.warning("Rasa at %s refused the connection; trying the next", base)
                    continue
                except httpx.HTTPError as exc:
                    metrics.rasa_error(operation_of(path), _reason(exc))
                    raise RasaUnavailable(f"{method} {path} failed: {exc!r}") from exc
                finally:
                    self._in_flight[index] -= 1
                self._down_until[index] = 0.0
                if response.status_code >= 400:
                    metrics.rasa_error(operation_of(path), "http_status")
                    raise RasaUnavailable(f"{method} {path} answered HTTP {response.status_code}")
                return response, index
            if attempt >= self._connect_retries:
                metrics.rasa_error(operation_of(path), "connect")
                where = ", ".join(self._base_urls)
                raise RasaUnavailable(f"cannot connect to Rasa at {where}")
            attempt += 1
            await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> RasaTurn:
        """Run one seller message through Rasa and return its replies and NLU result."""
        if self._admission is None:
            return await self._send(sender_id, text, metadata)
        try:
            await asyncio.wait_for(self._admission.acquire(), self._queue_timeout)
        except TimeoutError:
            metrics.rasa_error("message", "busy")
            raise RasaUnavailable(
                f"no turn to Rasa within {self._queue_timeout:.0f} s (all servers busy)"
            ) from None
        try:
            return await self._send(sender_id, text, metadata)
        finally:
            self._admission.release()

    async def _send(self, sender_id: str, text: str, metadata: dict[str, Any] | None) -> RasaTurn:
        response, server = await self._request_on(
            "POST",
            "/webhooks/rest/webhook",
            json={"sender": sender_id, "message": text, "metadata": metadata or {}},
        )
        try:
            raw_replies = response.json()
        except ValueError as exc:
            metrics.rasa_error("message", "invalid_json")
            raise RasaUnavailable("Rasa answered with invalid JSON") from exc
        replies = tuple(parse_reply(r) for r in raw_replies if isinstance(r, dict))
        if not replies:
            # Rasa took the message but said nothing: the action server is down, or Rasa failed
            # inside (its REST channel swallows errors, e.g. no lock with Redis down).
            metrics.rasa_error("message", "no_reply")
        if any(is_answer_choice(b.payload) for reply in replies for b in reply.buttons):
            metrics.clarifying_question()
        nlu = await self._latest_nlu(sender_id, server)
        if nlu is not None and not text.startswith("/"):
            # "/intent" payloads (buttons, commands) skip Rasa's NLU: nothing was understood.
            metrics.nlu_read(nlu.intent, nlu.confidence, nlu.intent_ranking)
        return RasaTurn(replies=replies, nlu=nlu)

    async def _latest_nlu(self, sender_id: str, server: int | None = None) -> NluResult | None:
        """Read how the NLU understood the latest message (from the server that handled it, if
        it still answers); losing this must not lose the answer."""
        try:
            response = await self._request(
                "GET",
                f"/conversations/{quote(sender_id, safe='')}/tracker",
                prefer=server,
                params={"include_events": "NONE"},
            )
            tracker = response.json()
            nlu = parse_nlu(tracker.get("latest_message"))
            loop = (tracker.get("active_loop") or {}).get("name")
            if nlu is not None and isinstance(loop, str):
                nlu = dataclasses.replace(nlu, active_loop=loop)
            return nlu
        except (RasaUnavailable, ValueError, AttributeError) as exc:
            log.warning("could not read NLU result for a conversation: %s", exc)
            return None

    async def parse(self, text: str) -> NluResult | None:
        """NLU only (no dialogue): used by the benchmark and diagnostics."""
        response = await self._request("POST", "/model/parse", json={"text": text})
        return parse_nlu(response.json())

    async def intents(self) -> set[str]:
        """Intent names of the loaded model's domain, to recognise stale button payloads."""
        response = await self._request("GET", "/domain", headers={"Accept": "application/json"})
        data = response.json()
        names: set[str] = set()
        for item in data.get("intents", []):
            names.update([item] if isinstance(item, str) else item.keys())
        return names

    async def is_ready(self) -> bool:
        """True once at least one server is up and has a model loaded (the bot can answer)."""
        for base in self._base_urls:  # each one itself: no failover between them here
            try:
                response = await self._client.get(f"{base}/status")
            except httpx.HTTPError as exc:
                metrics.rasa_error("status", _reason(exc))
                continue
            if response.status_code >= 400:
                metrics.rasa_error("status", "http_status")
                continue
            try:
                status = response.json()
            except ValueError:
                metrics.rasa_error("status", "invalid_json")
                continue
            if isinstance(status, dict) and (status.get("model_id") or status.get("model_file")):
                return True
        return False

    async def forget(self, sender_id: str) -> bool:
        """Replace this conversation's events in Rasa's tracker store with none (after
        /hapusdata). The in-memory store then holds nothing of it; a SQL tracker store only
        appends, so there bot/privacy/rasa_tracker.py deletes the rows. Best effort: False if
        Rasa could not be reached (its memory is cleared at its next restart anyway)."""
        try:
            await self._request(
                "PUT", f"/conversations/{quote(sender_id, safe='')}/tracker/events", json=[]
            )
            return True
        except RasaUnavailable as exc:
            log.warning("could not clear a deleted seller's conversation in Rasa: %s", exc)
            return False
