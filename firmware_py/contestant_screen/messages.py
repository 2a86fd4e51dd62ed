"""The texts of the contestant's screen, in English, each with its key (the gettext context).

Marked ``N_(key, text)`` for Babel's extraction (``babel.cfg`` next to this file;
``scripts/check-catalogues.py`` checks ``locale/<lang>/LC_MESSAGES/messages.po``). Keys:
``state.*`` the big banner, ``phase.*`` what a run is doing, ``reason.*`` why (rendered from
a code and its parameters), ``prompt.*`` operator questions, ``q.*`` measured quantities.
"""

from __future__ import annotations

from typing import Final


def N_(key: str, text: str) -> tuple[str, str]:  # noqa: N802 - the gettext marker
    return key, text


MESSAGES: Final[dict[str, str]] = dict(
    [
        N_("screen.title", "Station {station}"),
        N_("screen.time_left", "Time left"),
        N_("screen.time_up", "Time is up"),
        N_("screen.offline", "Offline: results are kept and sent later"),
        N_("screen.no_link", "The station does not answer"),
        N_("state.idle", "Starting"),
        N_("state.ready", "Ready"),
        N_("state.ready_hint", "Put the assembly in the jig, close it and press START."),
        N_("state.jig_open", "Close the jig to start."),
        N_("state.running", "Testing"),
        N_("state.running_hint", "Do not touch the assembly."),
        N_("state.pass", "Pass"),
        N_("state.fail", "Fail"),
        N_("state.fault", "Fault"),
        N_("state.fault_hint", "Call a technician."),
        N_("state.again", "Press START to test again."),
        N_("progress.done", "{pct} % done"),
        N_("phase.check", "Low-current check"),
        N_("phase.channel", "Channel {name} alone"),
        N_("phase.measure", "Measuring"),
        N_("phase.dimming", "Dimming steps"),
        N_("phase.flicker", "Flicker"),
        N_("phase.prompt", "Waiting for an answer"),
        N_("phase.connect", "Connecting"),
        N_("phase.power_on", "Power on"),
        N_("phase.response", "Response"),
        N_("phase.occupancy", "Occupancy sensor"),
        N_("phase.rest", "Resting"),
        N_("phase.ripple", "Ripple"),
        N_("phase.charge", "Charging"),
        N_("phase.discharge", "Discharging"),
        N_("prompt.title", "Question"),
        N_("prompt.yes", "Yes"),
        N_("prompt.no", "No"),
        N_("prompt.done", "Done"),
        N_("prompt.ok", "OK"),
        N_("prompt.buttons_yes_no", "Or press START for yes, ABORT for no."),
        N_("prompt.buttons_done", "Or press START when done."),
        N_("prompt.default_in", "No answer in {s} s: {answer}"),
        N_("prompt.bad_number", "Enter a number from {min} to {max}."),
        N_("prompt.diffuser_fitted", "Is the diffuser fitted?"),
        N_("reason.too_high", "{quantity} {value} {unit} is too high (limits {range})"),
        N_("reason.too_low", "{quantity} {value} {unit} is too low (limits {range})"),
        N_("reason.no_value", "{quantity}: no valid reading"),
        N_("reason.all_within", "All measurements within limits."),
        N_("reason.aborted", "The run was stopped."),
        N_("reason.aborted_button", "The run was stopped: ABORT was pressed."),
        N_("reason.aborted_jig", "The run was stopped: the jig was opened."),
        N_("reason.aborted_scorer", "The run was stopped by a judge."),
        N_("reason.interrupted", "The run was interrupted by a restart."),
        N_("reason.bench_fault", "The bench could not measure ({detail})."),
        N_("reason.hardware_check_failed", "The bench's hardware check failed ({detail})."),
        N_("reason.teardown_failed", "The bench could not switch off safely ({detail})."),
        N_("reason.jig_open", "No assembly in the jig: close the jig, then press START."),
        N_("reason.attempts_used", "All {limit} marked attempts are used: only self-checks."),
        N_("reason.outbox_full", "Waiting for the scorer: no new run until it catches up."),
        N_("reason.time_up", "Time is up for this module: marked runs are closed."),
        N_("q.voltage", "Voltage"),
        N_("q.current", "Current"),
        N_("q.power", "Power"),
        N_("q.illuminance", "Illuminance"),
        N_("q.cct", "Colour temperature"),
        N_("q.duv", "Duv (tint)"),
        N_("q.check_voltage", "Voltage at the check"),
        N_("q.check_current", "Current at the check"),
        N_("q.check_reverse_current", "Reverse current"),
        N_("q.dimming_error", "Dimming error"),
        N_("q.flicker_percent", "Flicker"),
        N_("q.diffuser_fitted", "Diffuser fitted"),
    ]
)
"""key -> English text."""
