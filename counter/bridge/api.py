"""The server's REST API as the bridge uses it: one call per key press, answered or not.

A press is one attempt with a short timeout. When it got no answer (or a 503) within the
first ``RETRY_WINDOW`` seconds it is sent once more, the very same request with the same
``Idempotency-Key``; never later, so a press made while the server was away cannot turn
into a call minutes afterwards, when the citizen has long gone.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger("nobat.bridge")

RETRY_WINDOW = 2.0  # seconds after the press within which its one retry may start
RETRY_PAUSE = 0.25  # a dropped keep-alive connection is retried at once, a refusal a bit later


@dataclass(frozen=True)
class Command:
    """A key's request: its path under /api/v1, and what it says about the current ticket."""

    path: str
    on_ticket: bool = False  # acts on the current ticket, whose id goes into the path
    expects: bool = False  # names the ticket it believes is current: refused if another is
    body: dict[str, Any] | None = None


COMMANDS: dict[str, Command] = {
    "next": Command("counters/{counter}/next", expects=True),
    "recall": Command("tickets/{ticket}/recall", on_ticket=True),
    "start": Command("tickets/{ticket}/start", on_ticket=True),
    "complete": Command("tickets/{ticket}/complete", on_ticket=True),
    "no_show": Command("tickets/{ticket}/no-show", on_ticket=True),
    "pause": Command("counters/{counter}/pause", body={"reason": "break"}),
}


@dataclass(frozen=True)
class Answer:
    """The server's answer to one request, or why there was none (``status`` None)."""

    status: int | None
    body: Any = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (200, 204)

    @property
    def ticket(self) -> dict[str, Any] | None:
        """The ticket in a 200 answer of a ticket command or of *next* (not pause's counter)."""
        body = self.body
        return body if isinstance(body, dict) and "service" in body else None


class CounterApi:
    """HTTP calls for one counter, on one keep-alive session, with the bridge's token."""

    def __init__(self, url: str, token: str, counter: int, timeout: float) -> None:
        self.base, self.counter, self.timeout = f"{url}/api/v1", counter, timeout
        self.http = requests.Session()
        self.http.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept-Language": "en",
                "User-Agent": "nobat-bridge",
            }
        )

    def send(self, action: str, current: int | None = None, *, sure: bool = False) -> Answer:
        """One key press's request: one attempt, and one retry with the same key if early.

        ``current`` is the ticket believed to be at the counter; ``sure`` when that comes
        from the live board, so that *next* names it and is refused (409
        ``changed_meanwhile``) rather than finish a ticket called elsewhere a moment ago.
        """
        command = COMMANDS[action]
        path = command.path.format(counter=self.counter, ticket=current)
        body = dict(command.body or {})
        if command.expects and sure:
            body["current"] = current
        key = secrets.token_urlsafe(18)  # 24 characters of [A-Za-z0-9_-]
        pressed = time.monotonic()
        answer = self._request("POST", path, body, key)
        retry = answer.status is None or answer.status == 503
        if retry and time.monotonic() - pressed + RETRY_PAUSE < RETRY_WINDOW:
            time.sleep(RETRY_PAUSE)
            log.info("%s: %s; sending it once more (key %s)", action, answer.problem, key)
            answer = self._request("POST", path, body, key)
        return answer

    def current_ticket(self) -> tuple[dict[str, Any] | None, Answer]:
        """The counter's current ticket, asked over HTTP (when the socket's board is not live)."""
        answer = self._request("GET", f"counters/{self.counter}")
        if answer.status != 200 or not isinstance(answer.body, dict):
            return None, answer
        return answer.body.get("current"), answer

    def close(self) -> None:
        self.http.close()

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> Answer:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = self.http.request(
                method, f"{self.base}/{path}", json=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            return Answer(None, problem=f"the server did not answer within {self.timeout:g} s")
        except requests.RequestException as error:
            return Answer(None, problem=f"the server is unreachable ({_cause(error)})")
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.status_code < 400:
            return Answer(response.status_code, data)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            problem = f"{response.status_code} {error.get('code')}: {error.get('message')}"
        else:
            problem = f"{response.status_code} {response.reason}"
        return Answer(response.status_code, data, problem)


def _cause(error: requests.RequestException) -> str:
    """The innermost reason (connection refused, name not known), not urllib3's whole chain."""
    cause: BaseException = error
    for _depth in range(8):  # requests → urllib3 → the socket's own error
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    text = str(cause)
    return text.rsplit("] ", 1)[-1] if "] " in text else text or type(cause).__name__
