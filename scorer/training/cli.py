"""``benchscore practice TASK --trainee NAME --config scorer.toml [--fault NAME]``: one practice
attempt on a simulated bench, stored for the trainee (their page shows the progress).

``--time-taken S`` records the trainee's time when a trainer timed it; without it the time runs
from the command's start (on a terminal: until Enter is pressed, then the bench measures).
"""

from __future__ import annotations

import argparse
import sys
import time

from benchscore.argtypes import positive


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("practice", help="a practice attempt on a simulated bench (training)")
    p.add_argument("task", help="task file, or a task name of config/tasks (led_assembly)")
    p.add_argument("--trainee", required=True, help="the trainee's user name")
    p.add_argument("--config", required=True, help="scorer TOML file (names the database)")
    p.add_argument("--fault", default="none", help="a fault to diagnose (none)")
    p.add_argument("--seed", type=int, default=0, help="noise seed of the simulation (0)")
    p.add_argument("--time-taken", type=positive, default=None, help="the trainee's time (s)")


def run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..store import Store
    from . import store as training
    from .practice import run_attempt
    from .progress import failing_measurements

    config = load_config(args.config)
    st = Store(config.storage_target)
    try:
        training.trainee(st.db, args.trainee)  # refuse an unknown trainee before measuring
        started = time.time()
        if args.time_taken is None and sys.stdin.isatty():
            input("Build or repair the assembly; press Enter to measure it. ")
        attempt = run_attempt(
            args.task, args.fault, seed=args.seed, started_at=started, time_taken_s=args.time_taken
        )
        n = training.add_attempt(st.db, args.trainee, attempt.to_dict())
    finally:
        st.close()
    failed = failing_measurements(attempt.to_dict())
    print(
        f"attempt {n} of {args.trainee}: {attempt.outcome.upper()} in "
        f"{attempt.time_taken_s:.0f} s" + (f"; failing: {', '.join(failed)}" if failed else "")
    )
    return 0
