"""The citizen's ticket page on a phone: how fast a call reaches it, how light it is.

``nobat serve`` on a fresh SQLite demo office (the tests' own ``seeded_demo``), Debian's
Chromium driven by Playwright with a phone's viewport. Measured:

1. **call → "called" on the page**: BENCH_TICKET_PAGES (40) tickets, each with its own page
   opened; the clerk calls it, then recalls it BENCH_TICKET_RECALLS (4) times: 200 alerts.
   From just before the API request is sent (this process's wall clock) to the page's
   alert (its ``navigator.vibrate``, called right after the DOM shows the call; the
   page's ``performance.timeOrigin + now()``, the same clock). The path: the command, its
   commit, the ticket's status read and sent to its room, the page drawing it.
2. **transfer size**: a fresh load (cache off) until the socket is live, bytes on the wire
   per resource (Chrome DevTools Protocol), as this server sends them (uncompressed) and
   as the deployment's nginx would (gzip level 5 on text, as ``deploy/nginx.conf``).
3. **first render on a slow connection**: BENCH_TICKET_LOADS (5) fresh loads throttled to
   400 kbit/s each way with 400 ms round trips (a weak 3G phone): first contentful paint,
   and the socket live.
4. **the server's cost per ticket event**: the status of one ticket read, worded in both
   languages and emitted (``server.live.rooms.send_ticket_statuses``), in this process on the
   same database, for a waiting ticket (people ahead and estimate) and a called one.

Targets: call → page p99 < 1 s (the issue's promise); first render on slow 3G < 3 s.
Writes ``bench/results/ticket_page.json``.
"""

from __future__ import annotations

import gzip
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path
from pagelib import issue

from harness.demo import CHROMIUM, CHROMIUM_ARGS, seeded_demo

PAGES = int(os.environ.get("BENCH_TICKET_PAGES", "40"))
RECALLS = int(os.environ.get("BENCH_TICKET_RECALLS", "4"))
LOADS = int(os.environ.get("BENCH_TICKET_LOADS", "5"))
SERVER_SAMPLES = 300
TARGET_CALL_P99_MS = 1000.0
TARGET_SLOW_FCP_MS = 3000.0
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
# Each alert's time by the page's clock (epoch milliseconds).
RECORDER = """
window.__alerts = [];
navigator.vibrate = () => {
  window.__alerts.push(performance.timeOrigin + performance.now());
  return true;
};
"""
LIVE = "() => document.getElementById('ticket').dataset.connection === 'live'"


def post(url: str, token: str) -> None:
    request = urllib.request.Request(
        url, data=b"{}", method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def calls(page: Any, url: str, kiosk: str, clerk: str) -> list[float]:
    """Seconds from each call or recall (sent from here) to the page's alert."""
    seconds = []
    for _ in range(PAGES):
        ticket = issue(url, kiosk)
        page.goto(ticket["status_url"])
        page.wait_for_function(LIVE)
        commands = [f"{url}/api/v1/counters/1/next"]
        commands += [f"{url}/api/v1/tickets/{ticket['id']}/recall"] * RECALLS
        for n, command in enumerate(commands, start=1):
            sent = time.time() * 1000
            post(command, clerk)
            page.wait_for_function("n => __alerts.length >= n", arg=n, timeout=10_000)
            seconds.append((page.evaluate(f"__alerts[{n - 1}]") - sent) / 1000)
    return seconds


def transfer(page: Any, status_url: str) -> dict[str, Any]:
    """Every resource of a fresh load, its bytes on the wire and gzipped as nginx would."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    devtools.on("Network.responseReceived", lambda e: urls.update({e["requestId"]: e["response"]}))
    devtools.on(
        "Network.loadingFinished",
        lambda e: sizes.update({e["requestId"]: int(e["encodedDataLength"])}),
    )
    page.goto(status_url)
    page.wait_for_function(LIVE)
    page.wait_for_load_state("networkidle")
    devtools.detach()
    resources = []
    for request_id, wire in sizes.items():
        response = urls.get(request_id)
        if response is None or response["url"].startswith("data:"):
            continue
        kind = response.get("mimeType", "")
        compressed = wire
        if kind.startswith("text/") or "javascript" in kind or "json" in kind:
            with urllib.request.urlopen(response["url"], timeout=10) as answer:
                body = answer.read()
            headers = wire - len(body)
            compressed = headers + len(gzip.compress(body, compresslevel=5))
        path = response["url"].split("://", 1)[1].split("/", 1)[1]
        resources.append({"path": "/" + path.split("?")[0], "type": kind, "wire": wire,
                          "gzip": compressed})  # fmt: skip
    return {
        "resources": sorted(resources, key=lambda r: -r["wire"]),
        "wire": sum(r["wire"] for r in resources),
        "gzip": sum(r["gzip"] for r in resources),
    }


def slow_loads(page: Any, status_url: str) -> dict[str, list[float]]:
    """Milliseconds to the first contentful paint and to the live socket, throttled."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    devtools.send("Network.emulateNetworkConditions", SLOW_3G)
    paint, live = [], []
    for _ in range(LOADS):
        page.goto("about:blank")
        page.goto(status_url, wait_until="commit", timeout=60_000)
        page.wait_for_function(LIVE, timeout=60_000, polling=50)
        live.append(page.evaluate("performance.now()"))
        paint.append(
            page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
        )
    devtools.detach()
    return {"fcp_ms": paint, "live_ms": live}


def server_cost(env: dict[str, str], kiosk: str, clerk: str, url: str) -> dict[str, Any]:
    """Seconds to read, word and emit one ticket's status, waiting and called."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("NOBAT_")})
    from server.app import create_app
    from server.config import Config
    from server.live.rooms import send_ticket_statuses

    app = create_app(Config, {"SQLALCHEMY_DATABASE_URI": env["NOBAT_DATABASE_URL"]})
    for _ in range(5):
        issue(url, kiosk)
    waiting = issue(url, kiosk)["id"]
    called = issue(url, kiosk, "health-insurance")["id"]
    post(f"{url}/api/v1/counters/4/next", clerk)
    figures = {}
    for name, ticket_id in (("waiting", waiting), ("called", called)):
        seconds = []
        for _ in range(SERVER_SAMPLES):
            started = time.perf_counter()
            send_ticket_statuses(app, [ticket_id])
            seconds.append(time.perf_counter() - started)
        figures[name] = benchlib.latency_summary(seconds)
    return figures


def measure(folder: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    server = seeded_demo(folder)
    kiosk = server.token("--device", "kiosk", "--office", "amol", "--printer", "none")
    clerk = server.token("--user", "clerk1")
    clerk4 = server.token("--user", "clerk4")
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(**PHONE)
            context.add_init_script(RECORDER)
            page = context.new_page()
            alerts = calls(page, server.url, kiosk, clerk)
            waiting = issue(server.url, kiosk)["status_url"]
            size = transfer(page, waiting)
            slow = slow_loads(context.new_page(), waiting)
            browser.close()
        cost = server_cost(server.env, kiosk, clerk4, server.url)
    finally:
        server.stop()
    return {"call": benchlib.latency_summary(alerts), "transfer": size, "slow": slow,
            "server": cost}  # fmt: skip


def report(figures: dict[str, Any]) -> dict[str, Any]:
    call, size, slow, cost = (figures[k] for k in ("call", "transfer", "slow", "server"))
    fcp = statistics.median(slow["fcp_ms"])
    live = statistics.median(slow["live_ms"])
    kib = lambda n: round(n / 1024, 1)  # noqa: E731
    return {
        "title": "Ticket page on a phone in Chromium",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": "Call → the page's alert (SQLite demo, gevent)",
                "columns": ["measure", "n", "p50 ms", "p99 ms", "max ms"],
                "rows": [
                    [
                        "call or recall → alert",
                        call["n"],
                        call["p50_ms"],
                        call["p99_ms"],
                        call["max_ms"],
                    ]
                ],
                "notes": [f"{PAGES} tickets, each called once and recalled {RECALLS} times"],
            },
            {
                "title": "Transfer size of a fresh load until the socket is live",
                "columns": ["resource", "type", "KiB on the wire", "KiB with nginx gzip"],
                "rows": [
                    [r["path"], r["type"], kib(r["wire"]), kib(r["gzip"])]
                    for r in size["resources"]
                ]
                + [["total", "", kib(size["wire"]), kib(size["gzip"])]],
                "notes": ["nobat serve sends uncompressed; deploy/nginx.conf gzips text"],
            },
            {
                "title": "Slow 3G (400 kbit/s, 400 ms RTT), cache off",
                "columns": ["measure", "n", "median ms", "max ms"],
                "rows": [
                    ["first contentful paint", LOADS, round(fcp), round(max(slow["fcp_ms"]))],
                    ["socket live", LOADS, round(live), round(max(slow["live_ms"]))],
                ],
                "notes": [],
            },
            {
                "title": "Server: one ticket's status read, worded (fa, en) and emitted",
                "columns": ["ticket", "n", "p50 ms", "p99 ms"],
                "rows": [[name, v["n"], v["p50_ms"], v["p99_ms"]] for name, v in cost.items()],
                "notes": ["per ticket event, in the background after the command's commit"],
            },
        ],
        "targets": [
            {
                "name": "call → page p99",
                "target": f"< {TARGET_CALL_P99_MS:g} ms",
                "value": f"{call['p99_ms']} ms",
                "pass": call["p99_ms"] < TARGET_CALL_P99_MS,
            },
            {
                "name": "first contentful paint on slow 3G (median)",
                "target": f"< {TARGET_SLOW_FCP_MS:g} ms",
                "value": f"{round(fcp)} ms",
                "pass": fcp < TARGET_SLOW_FCP_MS,
            },
        ],
        "data": figures,
    }


def main() -> None:
    benchlib.terminate_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="nobat-bench-ticket-") as folder:
        payload = report(measure(Path(folder)))
    benchlib.write_result("ticket_page", payload)
    benchlib.print_report(payload)


if __name__ == "__main__":
    main()
