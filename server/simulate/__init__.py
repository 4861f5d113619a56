"""The office-day simulator: history written by the real engine on a simulated clock.

Used for the demo's history, the statistics benchmarks and measuring wait estimates
(``bench/bench_estimates.py``). ``model`` holds every assumption; ``office_day`` plays
one day; ``run`` chooses days, clerks and offices.
"""

from server.simulate.office_day import Prediction
from server.simulate.run import (
    History,
    SimulationRefused,
    last_working_days,
    province,
    simulate,
    working_days,
)

__all__ = [
    "History",
    "Prediction",
    "SimulationRefused",
    "last_working_days",
    "province",
    "simulate",
    "working_days",
]
