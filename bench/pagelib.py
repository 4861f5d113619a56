"""What the benchmarks of pages in Chromium share: a page's footprint and how it is reported."""

from __future__ import annotations

from typing import Any

from harness.processes import call


def issue(url: str, token: str, service: str = "national-id") -> dict[str, Any]:
    """A ticket issued over HTTP with a kiosk's token."""
    status, body = call("POST", f"{url}/api/v1/offices/amol/tickets", token, {"service": service})
    assert status == 201, body
    return body


def footprint(page: Any) -> dict[str, int]:
    """The page's live JavaScript heap (after a collection) and its DOM nodes."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("HeapProfiler.collectGarbage")
    heap = devtools.send("Runtime.getHeapUsage")["usedSize"]
    devtools.detach()
    return {
        "heap_bytes": int(heap),
        "dom_nodes": page.evaluate("document.querySelectorAll('*').length"),
    }


def latency_row(label: str, summary: dict[str, Any]) -> list[Any]:
    """A row of the latency table: what, how many, p50, p99, max (ms)."""
    return [label, summary["n"], summary["p50_ms"], summary["p99_ms"], summary["max_ms"]]


def footprint_table(title: str, before: dict[str, int], after: dict[str, int]) -> dict[str, Any]:
    """The page's heap and DOM nodes before and after a run, as a report table."""
    return {
        "title": title,
        "columns": ["", "JS heap KiB", "DOM nodes"],
        "rows": [
            ["before", round(before["heap_bytes"] / 1024), before["dom_nodes"]],
            ["after", round(after["heap_bytes"] / 1024), after["dom_nodes"]],
        ],
        "notes": ["heap after a forced garbage collection (Chrome DevTools Protocol)"],
    }


def no_growth_target(
    name: str, before: dict[str, int], after: dict[str, int], limit: float
) -> dict[str, Any]:
    """A page left open must not grow: the heap within ``limit`` times, no more DOM nodes."""
    growth = after["heap_bytes"] / before["heap_bytes"]
    return {
        "name": name,
        "target": f"< {limit:g}× and no more DOM nodes",
        "value": f"{growth:.2f}×, {before['dom_nodes']} → {after['dom_nodes']} nodes",
        "pass": growth < limit and after["dom_nodes"] <= before["dom_nodes"],
    }
