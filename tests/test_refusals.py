"""The refusal rule's parts: which errors are bad input, ``--debug``, journal prefixes only on
the journal, and the shared config checks (finite numbers, durations, counts, marginal bands,
did-you-mean)."""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from benchscore.configfile import ConfigError, Table, did_you_mean
from benchscore.errors import EXIT_BAD_INPUT, EXIT_FAILED, UserError, describe
from benchscore.logsetup import make_formatter, stream_is_journal
from firmware_py.config.tables import limits, parameter


def test_describe_sorts_bad_input_from_surroundings_and_bugs() -> None:
    assert describe(UserError("f.toml: k: bad")).status == EXIT_BAD_INPUT  # type: ignore[union-attr]
    missing = describe(FileNotFoundError(2, "No such file or directory", "/x/st.key"))
    assert missing is not None and missing.message == "/x/st.key: No such file or directory"
    assert missing.status == EXIT_BAD_INPUT
    down = describe(ConnectionRefusedError(111, "Connection refused"))
    assert down is not None and down.status == EXIT_FAILED
    corrupt = describe(sqlite3.DatabaseError("file is not a database"))
    assert corrupt is not None and corrupt.status == EXIT_BAD_INPUT
    folded = describe(ValueError("line one\nline two"))
    assert folded is not None and folded.message == "line one line two"
    assert describe(ZeroDivisionError("bug")) is None
    assert describe(AttributeError("bug")) is None


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchscore", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


def test_debug_shows_the_traceback_the_plain_run_hides(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.toml")
    plain = run("station", "status", "--config", missing)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip() == f"benchscore station: {missing}: no such config file"
    debug = run("--debug", "station", "status", "--config", missing)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "ConfigError" in debug.stderr


def test_journal_prefixes_only_when_stderr_is_the_journal(tmp_path: Path) -> None:
    log_file = tmp_path / "journal"
    with log_file.open("w") as stream:
        st = os.fstat(stream.fileno())
        here = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        assert stream_is_journal(stream, here)
        assert not stream_is_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not stream_is_journal(stream, {"JOURNAL_STREAM": "garbage"})
        assert not stream_is_journal(stream, {})
    assert not stream_is_journal(io.StringIO(), here)  # no file descriptor

    record = logging.LogRecord("benchscore.station", logging.ERROR, "", 0, "bad", None, None)
    with log_file.open("w") as stream:
        assert make_formatter(stream).format(record) == "ERROR benchscore.station: bad"
        st = os.fstat(stream.fileno())
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        try:
            assert make_formatter(stream).format(record) == "<3>benchscore.station: bad"
        finally:
            del os.environ["JOURNAL_STREAM"]


def test_a_daemon_inheriting_journal_stream_logs_plain_lines_to_a_pipe(tmp_path: Path) -> None:
    """The demo's children inherit JOURNAL_STREAM but write to a pipe or a file: no <N>."""
    (tmp_path / "bad.toml").write_text("[station\n")
    env = dict(os.environ, JOURNAL_STREAM="1:2")
    proc = run("station", "run", "--config", str(tmp_path / "bad.toml"), env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("ERROR benchscore.station: bad config: ")
    assert "<3>" not in proc.stderr


def table(data: dict[str, object], path: str = "parameters") -> Table:
    return Table(data, Path("task.toml"), path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("settle_s", -3.0, "parameters.settle_s: a duration must be above 0, got -3"),
        ("settle_s", 0.0, "a duration must be above 0"),
        ("sample_interval_s", -0.1, "sample_interval_s: a duration must be above 0"),
        ("samples", 0, "parameters.samples: a count must be a whole number >= 1, got 0"),
        ("ripple_samples", 2.5, "a count must be a whole number >= 1, got 2.5"),
        ("dimming_steps", 0, "dimming_steps: a count"),
        ("cutoff_v", float("nan"), "parameters.cutoff_v: must be a finite number, got nan"),
        ("rest_s", float("inf"), "must be a finite number, got inf"),
    ],
)
def test_parameters_are_finite_and_durations_and_counts_positive(
    key: str, value: float, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parameter(table({key: value}), key)


def test_parameters_that_may_be_zero_or_negative_still_load() -> None:
    assert parameter(table({"energy_window_wh": 0}), "energy_window_wh") == 0.0
    assert parameter(table({"off_scene": 2}), "off_scene") == 2.0
    assert parameter(table({"samples": 5}), "samples") == 5.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"low": float("nan"), "high": 1.0}, r"limits\.x\.low: must be a finite number, got nan"),
        ({"high": float("inf")}, r"limits\.x\.high: must be a finite number, got inf"),
        ({"low": 4.5, "high": 4.0}, "low 4.5 is above high 4.0"),
        ({"low": 1, "high": 5, "marginal_low": 4, "marginal_high": 3}, "4 is above marginal_high"),
        ({"high": 5, "marginal_low": 6}, r"marginal_low: 6 is above high 5"),
        ({"low": 5, "marginal_high": 4}, r"marginal_high: 4 is below low 5"),
        ({"low": 1, "high": 5, "marginal_low": 0.5}, "marginal_low 0.5 is below low 1"),
    ],
)
def test_limits_are_finite_ordered_and_the_marginal_band_inside(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        limits(table(data, "limits.x"))


def test_a_wrong_choice_or_key_gets_the_closest_valid_one() -> None:
    t = table({"chip": "bh1705"}, "hardware.light_sensor")
    with pytest.raises(ConfigError, match=r"'bh1705' is not one of .*did you mean 'bh1750'\?"):
        t.get_choice("chip", ["bh1750", "tsl2591", "veml7700"])
    t = table({"chip": "bh1750", "adress": 0x23}, "hardware.light_sensor")
    t.get_choice("chip", ["bh1750"])
    t.get_int("address", 0x23)
    with pytest.raises(
        ConfigError, match=r"unknown key\(s\) \['adress'\] \(did you mean 'address'"
    ):
        t.check_unknown()
    assert did_you_mean("zzzz", ["bh1750"]) == ""


def test_on_the_journal_the_refusal_carries_the_error_priority(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    with journal.open("w") as stderr:
        st = os.fstat(stderr.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        proc = subprocess.run(
            [sys.executable, "-m", "benchscore", "outbox", "list", "--config", str(tmp_path)],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
            env=env,
            timeout=30,
        )
    assert proc.returncode == 2
    assert journal.read_text().startswith("<3>"), journal.read_text()


def test_only_the_named_command_stack_is_built_but_errors_list_every_command() -> None:
    from benchscore.app.cli import build_parser, command_of

    assert command_of(["--log-level", "DEBUG", "event", "load", "x"]) == "event"
    assert command_of(["--debug", "station", "status"]) == ""
    assert command_of(["fly"]) is None and command_of([]) is None
    every = build_parser(None)._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"station", "outbox", "analyze", "calibrate", "event", "users"} <= set(every)
    light = build_parser("")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "event" not in light and "station" in light
