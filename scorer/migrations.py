"""The schema of the scorer's database: numbered migration steps for both SQLite and
PostgreSQL. ``schema_version`` holds the step applied; :func:`scorer.db.open_database` applies
the missing ones. Column types that differ are templates (``{pk}``, ``{bigint}``,
``{float}``, ``{blob}``). A database newer than the code is refused.
"""

from __future__ import annotations

from typing import Final

from .db import Migration

MIGRATIONS: Final = (
    Migration(
        1,
        "stations, runs, measurements, record ledger, curves, rejections",
        (
            """CREATE TABLE IF NOT EXISTS stations (
                id          TEXT PRIMARY KEY,
                event       TEXT NOT NULL,
                state       TEXT,
                online      INTEGER,
                boot_id     TEXT,
                sw          TEXT,
                task        TEXT,
                reason      TEXT,
                status_ts   {float},
                last_seen   {float} NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS runs (
                id          {pk},
                station     TEXT NOT NULL,
                event       TEXT NOT NULL,
                boot_id     TEXT NOT NULL,
                seq         {bigint} NOT NULL,
                run_id      TEXT NOT NULL,
                task        TEXT NOT NULL,
                procedure   TEXT NOT NULL,
                started_at  {float} NOT NULL,
                ended_at    {float} NOT NULL,
                outcome     TEXT NOT NULL,
                reason      TEXT NOT NULL,
                historical  INTEGER NOT NULL DEFAULT 0,
                interrupted INTEGER NOT NULL DEFAULT 0,
                received_at {float} NOT NULL,
                payload     TEXT NOT NULL,
                UNIQUE (station, boot_id, seq)
            )""",
            "CREATE INDEX IF NOT EXISTS runs_by_station ON runs (station, id)",
            """CREATE TABLE IF NOT EXISTS measurements (
                run           {bigint} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                pos           INTEGER NOT NULL,
                name          TEXT NOT NULL,
                value         {float},
                unit          TEXT NOT NULL,
                low           {float},
                high          {float},
                marginal_low  {float},
                marginal_high {float},
                outcome       TEXT NOT NULL,
                reason        TEXT,
                PRIMARY KEY (run, name)
            )""",
            """CREATE TABLE IF NOT EXISTS records (
                id          {pk},
                station     TEXT NOT NULL,
                boot_id     TEXT NOT NULL,
                seq         {bigint} NOT NULL,
                kind        TEXT NOT NULL,
                run_id      TEXT NOT NULL,
                historical  INTEGER NOT NULL DEFAULT 0,
                received_at {float} NOT NULL,
                UNIQUE (station, boot_id, seq)
            )""",
            """CREATE TABLE IF NOT EXISTS curves (
                id          {pk},
                station     TEXT NOT NULL,
                boot_id     TEXT NOT NULL,
                seq         {bigint} NOT NULL,
                run_id      TEXT NOT NULL,
                curve       TEXT NOT NULL,
                chunk       INTEGER NOT NULL,
                columns     TEXT NOT NULL,
                points      INTEGER NOT NULL,
                data        {blob} NOT NULL,
                UNIQUE (station, boot_id, seq)
            )""",
            "CREATE INDEX IF NOT EXISTS curves_by_run ON curves (station, run_id, curve, chunk)",
            """CREATE TABLE IF NOT EXISTS rejections (
                id          {pk},
                received_at {float} NOT NULL,
                topic       TEXT NOT NULL,
                reason      TEXT NOT NULL,
                detail      TEXT NOT NULL,
                size        INTEGER NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS rejection_totals (
                reason      TEXT PRIMARY KEY,
                count       {bigint} NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "competition: marked flag, worker, curve codec, replies, events, scheme versions, "
        "module clocks, judgements, marks and their change log",
        (
            "ALTER TABLE runs ADD COLUMN marked INTEGER NOT NULL DEFAULT 1",
            "CREATE INDEX runs_by_task ON runs (event, task, station)",
            "ALTER TABLE records ADD COLUMN worker TEXT",
            "ALTER TABLE curves ADD COLUMN codec TEXT NOT NULL DEFAULT 'f64-zlib'",
            "ALTER TABLE stations ADD COLUMN time_limit_end {float}",
            """CREATE TABLE replies (
                station     TEXT NOT NULL,
                cmd_id      TEXT NOT NULL,
                ok          INTEGER NOT NULL,
                detail      TEXT NOT NULL,
                received_at {float} NOT NULL,
                PRIMARY KEY (station, cmd_id)
            )""",
            """CREATE TABLE events (
                id          TEXT PRIMARY KEY,
                definition  TEXT NOT NULL,
                digest      TEXT NOT NULL,
                loaded_at   {float} NOT NULL
            )""",
            """CREATE TABLE scheme_versions (
                id          {pk},
                scheme      TEXT NOT NULL,
                version     INTEGER NOT NULL,
                digest      TEXT NOT NULL,
                definition  TEXT NOT NULL,
                note        TEXT NOT NULL,
                created_at  {float} NOT NULL,
                UNIQUE (scheme, version),
                UNIQUE (scheme, digest)
            )""",
            """CREATE TABLE module_clocks (
                event        TEXT NOT NULL,
                module       TEXT NOT NULL,
                state        TEXT NOT NULL,
                time_limit_s {float} NOT NULL,
                started_at   {float},
                end_ts       {float},
                paused_at    {float},
                paused_s     {float} NOT NULL DEFAULT 0,
                updated_at   {float} NOT NULL,
                PRIMARY KEY (event, module)
            )""",
            """CREATE TABLE module_log (
                id          {pk},
                event       TEXT NOT NULL,
                module      TEXT NOT NULL,
                action      TEXT NOT NULL,
                detail      TEXT NOT NULL,
                actor       TEXT NOT NULL,
                at          {float} NOT NULL
            )""",
            """CREATE TABLE judgements (
                id          {pk},
                event       TEXT NOT NULL,
                competitor  TEXT NOT NULL,
                aspect      TEXT NOT NULL,
                judge       TEXT NOT NULL,
                score       {float} NOT NULL,
                note        TEXT NOT NULL,
                entered_at  {float} NOT NULL
            )""",
            "CREATE INDEX judgements_by_competitor ON judgements (event, competitor, aspect)",
            """CREATE TABLE marks (
                scheme_version {bigint} NOT NULL REFERENCES scheme_versions (id),
                event       TEXT NOT NULL,
                competitor  TEXT NOT NULL,
                aspect      TEXT NOT NULL,
                mark        {float} NOT NULL,
                max_mark    {float} NOT NULL,
                status      TEXT NOT NULL,
                detail      TEXT NOT NULL,
                run         {bigint},
                computed_at {float} NOT NULL,
                PRIMARY KEY (scheme_version, event, competitor, aspect)
            )""",
            """CREATE TABLE mark_changes (
                id          {pk},
                scheme_version {bigint} NOT NULL,
                event       TEXT NOT NULL,
                competitor  TEXT NOT NULL,
                aspect      TEXT NOT NULL,
                old_mark    {float},
                new_mark    {float} NOT NULL,
                reason      TEXT NOT NULL,
                at          {float} NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "mark overrides: the chief expert's marks in place of computed ones, with who and why "
        "(the console's own console_overrides rows are moved here by the console's schema setup)",
        (
            """CREATE TABLE mark_overrides (
                event       TEXT NOT NULL,
                competitor  TEXT NOT NULL,
                aspect      TEXT NOT NULL,
                mark        {float} NOT NULL,
                reason      TEXT NOT NULL,
                entered_by  TEXT NOT NULL,
                entered_at  {float} NOT NULL,
                PRIMARY KEY (event, competitor, aspect)
            )""",
        ),
    ),
    Migration(
        4,
        "fleet: station public keys (adoption, revocation, replacement), stations waiting to be "
        "adopted, a version counter that tells workers to reload keys, the calibrations each "
        "workstation reported (they move to a replacement Pi)",
        (
            """CREATE TABLE station_keys (
                kid         TEXT PRIMARY KEY,
                station     TEXT NOT NULL,
                event       TEXT NOT NULL,
                pubkey      TEXT NOT NULL,
                task        TEXT,
                adopted_at  {float} NOT NULL,
                adopted_by  TEXT NOT NULL,
                revoked_at  {float},
                revoked_by  TEXT,
                note        TEXT
            )""",
            "CREATE INDEX station_keys_station ON station_keys (station)",
            """CREATE TABLE pending_stations (
                kid         TEXT PRIMARY KEY,
                pubkey      TEXT NOT NULL,
                code        TEXT NOT NULL,
                serial      TEXT NOT NULL,
                mac         TEXT NOT NULL,
                model       TEXT NOT NULL,
                sw          TEXT NOT NULL,
                procedures  TEXT NOT NULL,
                first_seen  {float} NOT NULL,
                last_seen   {float} NOT NULL
            )""",
            """CREATE TABLE fleet_meta (
                key         TEXT PRIMARY KEY,
                value       {bigint} NOT NULL
            )""",
            "INSERT INTO fleet_meta (key, value) VALUES ('keys_version', 0)",
            """CREATE TABLE station_calibrations (
                station     TEXT PRIMARY KEY,
                records     TEXT NOT NULL,
                received_at {float} NOT NULL
            )""",
        ),
    ),
    Migration(
        5,
        "training and certification: trainee groups (time limit, target), trainees, practice "
        "attempts with their measurements; assessment sessions (a pinned standard), their "
        "candidates and marks; issued credentials and their status-list entries",
        (
            """CREATE TABLE training_groups (
                id          TEXT PRIMARY KEY,
                name        TEXT NOT NULL,
                trainer     TEXT NOT NULL,
                task        TEXT NOT NULL,
                time_limit_s {float},
                target_s    {float}
            )""",
            """CREATE TABLE trainees (
                username    TEXT PRIMARY KEY,
                name        TEXT NOT NULL,
                group_id    TEXT NOT NULL REFERENCES training_groups (id)
            )""",
            """CREATE TABLE practice_attempts (
                id          {pk},
                trainee     TEXT NOT NULL REFERENCES trainees (username),
                task        TEXT NOT NULL,
                fault       TEXT NOT NULL,
                started_at  {float} NOT NULL,
                ended_at    {float} NOT NULL,
                time_taken_s {float} NOT NULL,
                outcome     TEXT NOT NULL,
                measurements TEXT NOT NULL
            )""",
            "CREATE INDEX practice_by_trainee ON practice_attempts (trainee, id)",
            """CREATE TABLE assessment_sessions (
                id          TEXT PRIMARY KEY,
                title       TEXT NOT NULL,
                scheme      TEXT NOT NULL,
                scheme_id   TEXT NOT NULL,
                scheme_version TEXT NOT NULL,
                place       TEXT NOT NULL,
                lead        TEXT NOT NULL,
                assessors   TEXT NOT NULL,
                created_at  {float} NOT NULL,
                locked_at   {float},
                locked_by   TEXT
            )""",
            """CREATE TABLE assessment_candidates (
                session     TEXT NOT NULL REFERENCES assessment_sessions (id),
                candidate   TEXT NOT NULL,
                name        TEXT NOT NULL,
                email       TEXT NOT NULL,
                bench       TEXT NOT NULL,
                runs        TEXT NOT NULL DEFAULT '{{}}',
                scores      TEXT NOT NULL DEFAULT '{{}}',
                marks       TEXT,
                PRIMARY KEY (session, candidate)
            )""",
            """CREATE TABLE credentials (
                id          TEXT PRIMARY KEY,
                session     TEXT NOT NULL,
                candidate   TEXT NOT NULL,
                status_index {bigint} NOT NULL UNIQUE,
                issued_at   {float} NOT NULL,
                body        TEXT NOT NULL,
                revoked_at  {float},
                revoked_by  TEXT,
                reason      TEXT
            )""",
        ),
    ),
    Migration(
        6,
        "measurements carry their expanded uncertainty u (k = 2)",
        ("ALTER TABLE measurements ADD COLUMN u {float}",),
    ),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version
