"""Benchmark: render and encode an 80 mm Persian ticket; how long, how many bytes, and
how long those bytes take on a 115200-baud serial line (8N1: 10 bits a byte).

    .venv/bin/python bench/bench_ticket_render.py [--iterations 200] [--paper 80]

Writes bench/results/ticket_render.json and prints a short summary.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import PIL

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

from printer_drivers import Paper, TicketPrint, TicketRenderer, encode_ticket

TARGET_MEDIAN_MS = 50.0
BAUD = 115_200
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


def ticket(i: int) -> TicketPrint:
    """A realistic ticket that changes every time (number, queue, estimate, URL)."""
    return TicketPrint(
        office_name="دفتر پیشخوان خدمات دولت آمل",
        service_name="ثبت احوال — صدور کارت ملی هوشمند",
        number=f"B-{i % 1000:03d}",
        people_ahead=i % 40,
        people=f"{i % 40} نفر",
        wait=f"{i % 40 * 2} تا {i % 40 * 3 + 5} دقیقه",
        issued_at=datetime(2024, 11, 28, 8, 0, tzinfo=ZoneInfo("Asia/Tehran")),
        status_url=f"https://nobat.example.ir/t/{i:012x}",
        footer="از شکیبایی شما سپاسگزاریم",
    )


def percentile(samples: list[float], q: int) -> float:
    """The q-th percentile (1..99) of the samples."""
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def summary(samples: list[float]) -> dict[str, float]:
    """Median, p99 and mean in milliseconds."""
    ms = [s * 1000 for s in samples]
    return {
        "median": round(statistics.median(ms), 3),
        "p99": round(percentile(ms, 99), 3),
        "mean": round(statistics.fmean(ms), 3),
    }


def run(iterations: int, paper: Paper) -> dict[str, object]:
    """Time render, encode and both, per ticket."""
    renderer = TicketRenderer(paper)
    encode_ticket(renderer.render(ticket(0)))  # warm-up: fonts and code paths loaded
    render, encode, total, sizes, heights = [], [], [], [], []
    for i in range(1, iterations + 1):
        start = time.perf_counter()
        image = renderer.render(ticket(i))
        middle = time.perf_counter()
        payload = encode_ticket(image)
        end = time.perf_counter()
        render.append(middle - start)
        encode.append(end - middle)
        total.append(end - start)
        sizes.append(len(payload))
        heights.append(image.height)
    size = round(statistics.median(sizes))
    result = {
        "benchmark": "ticket_render",
        "paper_mm": 80 if paper is Paper.MM80 else 58,
        "width_px": int(paper),
        "layout": renderer.layout.value,
        "iterations": iterations,
        "render_ms": summary(render),
        "encode_ms": summary(encode),
        "total_ms": summary(total),
        "target_median_ms": TARGET_MEDIAN_MS,
        "meets_target": statistics.median(total) * 1000 < TARGET_MEDIAN_MS,
        "ticket_height_px": round(statistics.median(heights)),
        "bytes_per_ticket": size,
        "serial_baud": BAUD,
        "serial_seconds_per_ticket": round(size * BITS_PER_BYTE / BAUD, 3),
        "python": platform.python_version(),
        "pillow": PIL.__version__,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return result


def main() -> None:
    """Run, write the JSON figures, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--paper", type=int, choices=(58, 80), default=80)
    args = parser.parse_args()
    result = run(args.iterations, Paper.MM80 if args.paper == 80 else Paper.MM58)
    path = benchlib.write_result("ticket_render", result)
    total = result["total_ms"]
    print(
        f"{result['paper_mm']} mm ticket, {result['layout']} layout, {args.iterations} runs: "
        f"render+encode median {total['median']:.1f} ms, p99 {total['p99']:.1f} ms "
        f"(target < {TARGET_MEDIAN_MS:.0f} ms: {'ok' if result['meets_target'] else 'MISSED'})\n"
        f"{result['bytes_per_ticket']} bytes per ticket ({result['ticket_height_px']} rows), "
        f"{result['serial_seconds_per_ticket']:.2f} s per ticket at {BAUD} baud 8N1\n"
        f"written to {path.relative_to(benchlib.REPO_ROOT)}"
    )


if __name__ == "__main__":
    main()
