"""Trainees, groups and practice attempts in the scorer's database (store migration 5)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from benchscore.protocol import ID_RE

from ..db import Database


class TrainingError(ValueError):
    """A training request that cannot be done (unknown trainee or group, bad value)."""


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    trainer: str
    task: str
    time_limit_s: float | None
    """Attempts slower than this miss the limit (None: no limit)."""
    target_s: float | None
    """The time to beat (None: none set)."""


def _check_id(value: str, what: str) -> str:
    if not ID_RE.match(value):
        raise TrainingError(f"{what} {value!r}: letters, digits, '-' and '_' only")
    return value


def add_group(db: Database, group_id: str, name: str, trainer: str, task: str) -> Group:
    _check_id(group_id, "group")
    with db.transaction() as tx:
        if tx.one("SELECT id FROM training_groups WHERE id = ?", (group_id,)):
            raise TrainingError(f"group {group_id!r} exists already")
        tx.execute(
            "INSERT INTO training_groups (id, name, trainer, task) VALUES (?, ?, ?, ?)",
            (group_id, name, trainer, task),
        )
    return group(db, group_id)


def group(db: Database, group_id: str) -> Group:
    with db.read() as tx:
        row = tx.one("SELECT * FROM training_groups WHERE id = ?", (group_id,))
    if row is None:
        raise TrainingError(f"no training group {group_id!r}")
    return Group(
        row["id"], row["name"], row["trainer"], row["task"], row["time_limit_s"], row["target_s"]
    )


def groups_of_trainer(db: Database, trainer: str) -> list[Group]:
    with db.read() as tx:
        rows = tx.all("SELECT id FROM training_groups WHERE trainer = ? ORDER BY id", (trainer,))
    return [group(db, r["id"]) for r in rows]


def set_limits(
    db: Database, group_id: str, time_limit_s: float | None, target_s: float | None
) -> Group:
    """Set the group's time limit and target (seconds; None clears one)."""
    check_limits(time_limit_s, target_s)
    group(db, group_id)
    with db.transaction() as tx:
        tx.execute(
            "UPDATE training_groups SET time_limit_s = ?, target_s = ? WHERE id = ?",
            (time_limit_s, target_s, group_id),
        )
    return group(db, group_id)


def check_limits(time_limit_s: float | None, target_s: float | None) -> None:
    """TrainingError unless both are in (0 s, a week) and the target is not above the limit
    (a target equal to the limit is allowed)."""
    for what, v in (("time limit", time_limit_s), ("target", target_s)):
        if v is not None and not (0 < v < 7 * 86400):
            raise TrainingError(f"{what} {v} s: must be more than 0 s and under a week")
    if time_limit_s is not None and target_s is not None and target_s > time_limit_s:
        raise TrainingError(f"target {target_s} s is above the time limit {time_limit_s} s")


def add_trainee(db: Database, username: str, name: str, group_id: str) -> None:
    group(db, group_id)
    with db.transaction() as tx:
        if tx.one("SELECT username FROM trainees WHERE username = ?", (username,)):
            raise TrainingError(f"trainee {username!r} exists already")
        tx.execute(
            "INSERT INTO trainees (username, name, group_id) VALUES (?, ?, ?)",
            (username, name, group_id),
        )


def trainee(db: Database, username: str) -> dict[str, Any]:
    with db.read() as tx:
        row = tx.one("SELECT * FROM trainees WHERE username = ?", (username,))
    if row is None:
        raise TrainingError(f"no trainee {username!r}")
    return dict(row)


def members(db: Database, group_id: str) -> list[dict[str, Any]]:
    with db.read() as tx:
        return [
            dict(r)
            for r in tx.all(
                "SELECT * FROM trainees WHERE group_id = ? ORDER BY username", (group_id,)
            )
        ]


def add_attempt(db: Database, username: str, attempt: dict[str, Any]) -> int:
    """Store one practice attempt (see :class:`scorer.training.practice.Attempt`); its number."""
    trainee(db, username)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO practice_attempts (trainee, task, fault, started_at, ended_at, "
            "time_taken_s, outcome, measurements) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                username,
                attempt["task"],
                attempt["fault"],
                attempt["started_at"],
                attempt["ended_at"],
                attempt["time_taken_s"],
                attempt["outcome"],
                json.dumps(attempt["measurements"]),
            ),
        )
        n = tx.scalar("SELECT count(*) FROM practice_attempts WHERE trainee = ?", (username,))
    return int(n)


def attempts_of(db: Database, username: str) -> list[dict[str, Any]]:
    """The trainee's attempts, oldest first, numbered from 1."""
    with db.read() as tx:
        rows = tx.all(
            "SELECT * FROM practice_attempts WHERE trainee = ? ORDER BY started_at, id",
            (username,),
        )
    out = []
    for n, r in enumerate(rows, 1):
        out.append({**dict(r), "n": n, "measurements": json.loads(r["measurements"])})
    return out
