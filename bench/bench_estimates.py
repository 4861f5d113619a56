"""How good the wait estimates are, measured on simulated office days.

The demo office (``server/seed.py``) on a scratch SQLite database, BENCH_ESTIMATES_DAYS
(12, about two weeks) working days simulated from a Saturday at the start of a Jalali
month (``server/simulate``: the real engine on a simulated clock). Every ticket issued
carries the engine's estimate at issue, ``eta_seconds`` and its range; each is set
against the wait that followed (issue → first call), beside the historical mean wait
of the service at that hour on earlier days and Ibrahim and Whitt's queue-length
predictor (``server/simulate/accuracy.py``). The first two days are warm-up.

Targets (issue 15): MAE at least 30 % below the historical-mean baseline and no worse
than the queue-length predictor; the stated range holding 75–85 % of actual waits.
Also the simulator's own speed. Writes ``bench/results/estimates.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

from server.database import Base, make_engine
from server.engine import NullPublisher
from server.engine.sessions import make_sessionmaker
from server.seed import seed_demo
from server.simulate import simulate, working_days
from server.simulate.accuracy import accuracy

DAYS = int(os.environ.get("BENCH_ESTIMATES_DAYS", "12"))
SEED = int(os.environ.get("BENCH_ESTIMATES_SEED", "1"))
START = date(2025, 4, 19)  # a Saturday; 1404/02/01 is the Monday after
WARMUP = 2


def main() -> None:
    benchlib.terminate_on_sigterm()
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'estimates.sqlite3'}")
        Base.metadata.create_all(engine)
        with make_sessionmaker(engine, NullPublisher())() as session:
            seed_demo(session, "bench password")
            session.commit()
            began = time.perf_counter()
            history = simulate(session, "amol", working_days(START, DAYS), SEED)
            seconds = time.perf_counter() - began
            report = accuracy(session, history.predictions, WARMUP)
        engine.dispose()
    tickets = len(history.predictions)
    predictors = [
        ("engine (eta_seconds)", report.engine),
        ("historical mean of service and hour", report.historical),
        ("queue length (Ibrahim and Whitt)", report.queue_length),
    ]
    payload = {
        "title": "Wait estimates against actual waits (simulated demo office)",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": f"{report.scored} tickets scored; mean actual wait "
                f"{report.mean_wait / 60:.1f} min",
                "columns": ["predictor", "MAE s", "median AE s", "inside the range"],
                "rows": [
                    [name, s.mae, s.median_ae, f"{s.within:.1%}" if s.within is not None else "-"]
                    for name, s in predictors
                ],
                "notes": [
                    f"{DAYS} working days from {START}, seed {SEED}; days 1-{WARMUP} warm-up",
                    f"{report.without_estimate} tickets had no estimate (no open counter)",
                ],
            },
            {
                "title": "The simulator",
                "columns": ["days", "tickets issued", "seconds", "tickets/s"],
                "rows": [[len(history.days), tickets, seconds, tickets / seconds]],
                "notes": ["SQLite, one session, committed once per simulated minute"],
            },
        ],
        "targets": [
            {"name": t.name, "target": t.target, "value": t.value, "pass": t.met}
            for t in report.targets
        ],
        "data": {"days": [d.isoformat() for d in history.days], "seed": SEED},
    }
    path = benchlib.write_result("estimates", payload)
    benchlib.print_report(payload)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
