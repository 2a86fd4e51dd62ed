"""``benchscore analyze`` through its own argparse wiring: real cycler logs, colour, flicker."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchscore import analyze_cli

CYCLERS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cyclers"
MACCOR = CYCLERS / "BEEPDatapath_maccor_parameterized_memloaded.csv"
ARBIN = CYCLERS / "2017-05-09_test-TC-contact_CH33.csv"
NOVONIX = CYCLERS / "test_Nova_Form-CH01-01_short.csv"
needs_cyclers = pytest.mark.skipif(not MACCOR.exists(), reason="../shared/data/cyclers absent")

# Discharge capacities the Maccor recorded at the end of each CC discharge step (README).
MACCOR_CC_DISCHARGE_AH = {86: 1.93776, 87: 1.83945, 88: 1.74608}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    parser = argparse.ArgumentParser(prog="benchscore")
    analyze_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    rc = analyze_cli.run(parser.parse_args(["analyze", *argv]))
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if rc == 0 else out), err


@needs_cyclers
def test_maccor_cc_discharges_agree_within_0_01_percent(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, _ = run_cli(
        [
            "discharge",
            str(MACCOR),
            "--time", "test_time",
            "--current", "current",
            "--voltage", "voltage",
            "--step", "step_index",
            "--cycler-capacity", "_capacity",
        ],
        capsys,
    )  # fmt: skip
    assert rc == 0
    assert doc["current_sign"] == "discharge-negative" and doc["segment_count"] == 4
    cc = [s for s in doc["segments"] if s["step"] == 65]
    assert len(cc) == 3
    for seg, (_cycle, recorded) in zip(cc, sorted(MACCOR_CC_DISCHARGE_AH.items()), strict=True):
        assert abs(seg["capacity_ah"] / recorded - 1) < 1e-4
        assert abs(seg["delta_percent"]) < 0.01
        assert seg["energy_wh"] > 3.0 * seg["capacity_ah"]
    assert doc["capacity_ah"] == pytest.approx(sum(s["capacity_ah"] for s in doc["segments"]))


@needs_cyclers
def test_maccor_cutoff_ends_the_cc_cv_discharge(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["discharge", str(MACCOR), "--time", "test_time", "--current", "current"]
    rc, doc, _ = run_cli([*args, "--voltage", "voltage", "--cutoff", "2.7"], capsys)
    assert rc == 0
    last = doc["segments"][-1]
    assert last["cutoff_reached"] and last["end_voltage_v"] == 2.7
    assert last["capacity_ah"] < 0.49  # the CV hold at 2.7 V is no longer counted


@needs_cyclers
def test_arbin_charge_agrees_within_0_05_percent(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, _ = run_cli(
        [
            "charge",
            str(ARBIN),
            "--time", "Test_Time",
            "--current", "Current",
            "--voltage", "Voltage",
            "--cycler-capacity", "Charge_Capacity",
            "--temperature", "Temperature",
        ],
        capsys,
    )  # fmt: skip
    assert rc == 0 and doc["segment_count"] == 1
    seg = doc["segments"][0]
    recorded = 0.60827 - 0.00518  # README: cumulative, less the first row's value
    assert abs(seg["capacity_ah"] / recorded - 1) < 5e-4
    assert abs(seg["delta_percent"]) < 0.05
    assert seg["cc_cv"]["transition_time_s"] is None  # 6.6 A then 1.1 A: two CC steps
    assert doc["temperature_rise_k"] == pytest.approx(2.43, abs=0.01)


@needs_cyclers
def test_maccor_cc_cv_charge_is_split(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["charge", str(MACCOR), "--time", "test_time", "--current", "current"]
    rc, doc, _ = run_cli([*args, "--voltage", "voltage", "--termination-current", "0.8"], capsys)
    assert rc == 0
    cycle87 = doc["segments"][1]["cc_cv"]
    assert cycle87["cv_voltage_v"] == pytest.approx(4.1, abs=0.01)
    assert cycle87["transition_line"] == 615
    assert 0.3 < cycle87["cv_share"] < 0.5 and cycle87["terminated_by_current"] is True
    assert "1 Hz" in doc["segments"][1]["note"]  # CV logged every 30 s


@needs_cyclers
def test_novonix_preamble_and_hours(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, _ = run_cli(
        [
            "charge",
            str(NOVONIX),
            "--time", "Run Time (h)",
            "--time-unit", "h",
            "--current", "Current (A)",
            "--voltage", "Potential (V)",
            "--step", "Step Number",
            "--cycler-capacity", "Capacity (Ah)",
        ],
        capsys,
    )  # fmt: skip
    assert rc == 0
    step3 = [s for s in doc["segments"] if s["step"] == 3][0]
    assert abs(step3["delta_percent"]) < 0.01


def test_power_bank_log_with_positive_discharge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An e-load log: 2 A out at 5.0 V for one hour, 1 s samples, discharge current positive.
    path = tmp_path / "bank.csv"
    t = np.arange(0, 3601)
    lines = ["t_s,i_a,v_v,temp_c"] + [f"{x},2.0,5.0,{25 + x / 600:.3f}" for x in t]
    path.write_text("\n".join(lines) + "\n")
    rc, doc, _ = run_cli(
        [
            "discharge",
            str(path),
            "--time", "t_s",
            "--current", "i_a",
            "--voltage", "v_v",
            "--rated-voltage", "5",
            "--cell-capacity-mah", "3000",
            "--temperature", "temp_c",
        ],
        capsys,
    )  # fmt: skip
    assert rc == 0
    assert doc["current_sign"] == "discharge-positive" and "notes" in doc
    assert doc["capacity_ah"] == pytest.approx(2.0) and doc["energy_wh"] == pytest.approx(10.0)
    assert doc["capacity_mah_at_rated_v"] == pytest.approx(2000.0)
    assert doc["conversion_efficiency"] == pytest.approx(10.0 / 11.1)
    assert doc["meets_gbt35590_default_efficiency"] is True
    assert doc["output_regulation"]["within"] is True
    assert doc["temperature_rise_k"] == pytest.approx(6.0)


def test_color(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc, _ = run_cli(["color", "--xy", "0.3127", "0.3290", "--nominal", "6500"], capsys)
    assert rc == 0
    assert doc["cct_k"] == pytest.approx(6504.3, abs=0.05)
    assert doc["duv"] == pytest.approx(0.00321, abs=5e-6)
    assert doc["cct_mccamy_k"] == pytest.approx(6505.1, abs=0.05)
    assert doc["ansi_class"] == 6500 and doc["ansi_within"] is True
    assert 0 < doc["ansi_ratio"] < 0.2  # D65 sits near the 6500 K quadrangle's centre
    # just above the 4000 K quadrangle's high-Duv edge, inside the old (CCT, Duv) box
    rc, doc, _ = run_cli(["color", "--xy", "0.3870", "0.3958", "--nominal", "4000"], capsys)
    assert rc == 0 and doc["ansi_ratio"] > 1.0 and doc["ansi_within"] is False
    rc, _, err = run_cli(["color", "--xy", "0.38", "0.38", "--nominal", "4050"], capsys)
    assert rc == 2 and "4050 K is neither" in err
    rc, doc, _ = run_cli(["color", "--uv", "0.1978", "0.3122"], capsys)
    assert rc == 0 and doc["cct_k"] == pytest.approx(6507.47, abs=0.01)
    rc, doc, _ = run_cli(["color", "--xyz", "109.85", "100", "35.585"], capsys)
    assert rc == 0 and doc["cct_k"] == pytest.approx(2856, abs=1.0) and doc["ansi_class"] == 2700
    rc, _, err = run_cli(["color", "--xy", "0.8", "0.3"], capsys)
    assert rc == 2 and "outside the CIE 1931 diagram" in err


def _write_light(path: Path, values: np.ndarray, header: str | None) -> None:
    rows = [f"{v:.9f}" for v in values]
    path.write_text("\n".join(([header] if header else []) + rows) + "\n")


def test_flicker_from_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(20_000) / 20_000.0
    path = tmp_path / "pd.csv"
    _write_light(path, 1.0 + 0.3 * np.sin(2 * math.pi * 120.0 * t), "lux")
    rc, doc, _ = run_cli(["flicker", str(path), "--rate", "20000"], capsys)
    assert rc == 0 and doc["column"] == "lux"
    assert doc["frequency_hz"] == pytest.approx(120.0, abs=1e-3)
    assert doc["percent_flicker"] == pytest.approx(30.0, abs=1e-2)
    assert doc["flicker_index"] == pytest.approx(0.3 / math.pi, abs=1e-4)
    assert doc["ieee1789"] == "above_low_risk"
    assert doc["ieee1789_low_risk_limit_percent"] == pytest.approx(9.6, abs=1e-4)
    assert "notes" not in doc
    bare = tmp_path / "bare.csv"
    square = ((np.arange(20_000) % 200) < 100).astype(float)
    _write_light(bare, square, None)
    rc, doc, _ = run_cli(["flicker", str(bare), "--rate", "20000", "--column", "1"], capsys)
    assert rc == 0 and doc["flicker_index"] == pytest.approx(0.5, abs=1e-4)
    rc, doc, _ = run_cli(["flicker", str(bare), "--rate", "2000"], capsys)
    assert rc == 0 and any("20 kSPS" in n for n in doc["notes"])


def test_errors_name_file_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.csv"
    path.write_text("time,I,V\n0,-1,4.0\n1,-1,3.9\n2,-1,oops\n")
    base = ["discharge", str(path), "--time", "time", "--current", "I"]
    rc, _, err = run_cli([*base, "--voltage", "Volts"], capsys)
    assert rc == 2 and str(path) in err and "'Volts'" in err and "time, I, V" in err
    rc, _, err = run_cli([*base, "--voltage", "V"], capsys)
    assert rc == 2 and f"{path}, line 4, column 'V': 'oops' is not a number" in err
    path.write_text("time,I,V\n0,-1,4.0\n2,-1,3.9\n1,-1,3.8\n")
    rc, _, err = run_cli([*base, "--voltage", "V"], capsys)
    assert rc == 2 and "column 'time': time goes backwards at line 4" in err
    path.write_text("time,I,V\n0,1,4.0\n1,1,3.9\n")
    rc, _, err = run_cli([*base, "--voltage", "V", "--sign", "discharge-negative"], capsys)
    assert rc == 2 and "column 'I': no discharge found" in err
    rc, _, err = run_cli(["discharge", str(tmp_path / "missing.csv"), "--time", "t",
                          "--current", "i", "--voltage", "v"], capsys)  # fmt: skip
    assert rc == 2 and "missing.csv: cannot read" in err
    two = tmp_path / "two.csv"
    two.write_text("a,b\n1,2\n3,4\n")
    rc, _, err = run_cli(["flicker", str(two), "--rate", "20000"], capsys)
    assert rc == 2 and "choose one with --column (a, b)" in err
    rc, _, err = run_cli(["flicker", str(two), "--rate", "20000", "--column", "c"], capsys)
    assert rc == 2 and "no column 'c'" in err


def test_benchscore_main_wires_analyze(capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("benchscore.app.cli")
    assert cli.main(["analyze", "color", "--xy", "0.4578", "0.4101"]) == 0
    assert json.loads(capsys.readouterr().out)["ansi_class"] == 2700
