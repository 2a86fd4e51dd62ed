"""``benchscore practice TASK --trainee NAME --config scorer.toml [--fault NAME]``: one practice
attempt on a simulated bench, stored for the trainee (their page shows the progress);
``--from-station ST`` takes a real station's latest stored run instead.

``--time-taken S`` records the trainee's time when a trainer timed it; without it the time runs
from the command's start (on a terminal: until Enter is pressed, then the bench measures).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from benchscore.argtypes import positive


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("practice", help="a practice attempt on a simulated bench (training)")
    p.add_argument("task", help="task file, or a task name of config/tasks (led_assembly)")
    p.add_argument("--trainee", required=True, help="the trainee's user name")
    p.add_argument("--config", required=True, help="scorer TOML file (names the database)")
    p.add_argument("--fault", default="none", help="a fault to diagnose (none)")
    p.add_argument("--seed", type=int, default=0, help="noise seed of the simulation (0)")
    p.add_argument("--time-taken", type=positive, default=None, help="the trainee's time (s)")
    p.add_argument(
        "--from-station",
        metavar="STATION",
        help="a real bench: take the station's latest stored run as the attempt",
    )


def run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .store import Store
    from .training import store as training
    from .training.practice import run_attempt
    from .training.progress import failing_measurements

    config = load_config(args.config)
    st = Store(config.storage_target)
    try:
        training.trainee(st.db, args.trainee)  # refuse an unknown trainee before measuring
        started = time.time()
        if args.time_taken is None and sys.stdin.isatty():
            input("Build or repair the assembly; press Enter to measure it. ")
        if args.from_station:
            attempt = from_station(st, args.from_station, args.time_taken)
        else:
            attempt = run_attempt(
                args.task,
                args.fault,
                seed=args.seed,
                started_at=started,
                time_taken_s=args.time_taken,
            ).to_dict()
        n = training.add_attempt(st.db, args.trainee, attempt)
    finally:
        st.close()
    failed = failing_measurements(attempt)
    print(
        f"attempt {n} of {args.trainee}: {attempt['outcome'].upper()} in "
        f"{attempt['time_taken_s']:.0f} s" + (f"; failing: {', '.join(failed)}" if failed else "")
    )
    return 0


def from_station(store: Any, station: str, time_taken_s: float | None) -> dict[str, Any]:
    """The latest run a real station reported, as a practice attempt (time taken: as given,
    else the run's own duration)."""
    from .assess_cli import stored_run

    run = stored_run(store, station)
    latest = store.list_runs(station=station, limit=1)[0]
    started = float(latest["started_at"])
    taken = time_taken_s if time_taken_s is not None else float(latest["ended_at"]) - started
    return {
        **run,
        "task": latest["task"],
        "fault": "-",
        "started_at": started,
        "ended_at": started + taken,
        "time_taken_s": round(taken, 3),
    }
