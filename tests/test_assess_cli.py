"""``benchscore assess`` and ``benchscore training`` end to end, in-process: a session from a
candidates CSV, a run on a simulated bench, the assessors' scores, the lead's lock, the
certificates, the centre's key and status list, revocation, the skill record; every refusal
is one line with exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from benchscore.app.cli import main
from scorer.console.report import chromium_binary

REPO = Path(__file__).resolve().parents[1]


def bs(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_session_from_the_shell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "scorer.toml"
    cfg.write_text(
        '[storage]\npath = "scorer.db"\n[credentials]\ncentre_key = "centre.key"\n'
        'centre_name = "Test centre"\ncentre_url = "https://certs.example.org"\n'
    )
    c = ["--config", str(cfg)]
    cands = tmp_path / "c.csv"
    cands.write_text("id,name,email,bench\nK01,Ana Lima,ana@example.org,b01\n")
    std = str(REPO / "config" / "standards" / "led-module-l3.toml")
    got = bs(
        capsys,
        "assess",
        "create",
        "s1",
        "--standard",
        std,
        "--title",
        "T",
        "--place",
        "P",
        "--lead",
        "a1",
        "--assessors",
        "a1,a2,a3",
        "--candidates",
        str(cands),
        *c,
    )
    assert got[0] == 0 and "standard led-module-l3 version " in got[1]
    got = bs(capsys, "assess", "run", "s1", "K01", "--module", "led", *c)
    assert got == (
        2,
        "",
        "benchscore assess: bench b01: no stored run (measure first, or use --simulate)\n",
    )
    got = bs(
        capsys, "assess", "run", "s1", "K01", "--module", "led", "--simulate", "led_assembly", *c
    )
    assert got[0] == 0 and "(pass)" in got[1]
    for who in ("a1", "a2", "a3"):
        assert (
            bs(
                capsys,
                "assess",
                "score",
                "s1",
                "K01",
                "A3.1",
                "--assessor",
                who,
                "--score",
                "3",
                *c,
            )[0]
            == 0
        )
        assert (
            bs(
                capsys,
                "assess",
                "score",
                "s1",
                "K01",
                "A3.2",
                "--assessor",
                who,
                "--score",
                "1",
                *c,
            )[0]
            == 0
        )
    got = bs(capsys, "assess", "score", "s1", "K01", "A3.2", "--assessor", "a2", "--score", "4", *c)
    assert got[0] == 2 and got[2].count("\n") == 1 and "must be one of" in got[2]
    assert "K01: 9.33 of 10 (pass 6) PASS; final; open" in bs(capsys, "assess", "show", "s1", *c)[1]
    assert bs(capsys, "assess", "lock", "s1", "--by", "a2", *c)[0] == 2
    assert bs(capsys, "assess", "lock", "s1", "--by", "a1", *c)[0] == 0
    with pytest.raises(SystemExit) as refused:  # argparse: one line, exit 2
        bs(capsys, "assess", "certify", "s1", "--out", str(tmp_path / "x"), "--lang", "de", *c)
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.count("\n") == 1 and "--lang" in err
    pdf = ("--pdf", "--lang", "zh") if chromium_binary() else ()
    got = bs(capsys, "assess", "certify", "s1", "--out", str(tmp_path / "out"), *pdf, *c)
    cred = Path(got[1].splitlines()[0])
    assert got[0] == 0 and cred.is_file()
    if pdf:  # the printable certificate next to the credential, in Chinese
        printed = cred.with_suffix(".pdf")
        assert got[1].splitlines()[1] == str(printed)
        text = subprocess.run(
            ["pdftotext", str(printed), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "兹证明" in text and "certifies" not in text
    (tmp_path / "centre.did").write_text(bs(capsys, "assess", "key", *c)[1])
    assert bs(capsys, "assess", "status-list", "--out", str(tmp_path / "s.json"), *c)[0] == 0
    got = bs(
        capsys,
        "verify",
        str(cred),
        "--issuer-key",
        str(tmp_path / "centre.did"),
        "--status-list",
        str(tmp_path / "s.json"),
    )
    assert got[0] == 0 and "'Ana Lima'" in got[1]
    assert (
        bs(capsys, "assess", "record", "ana@example.org", "--out", str(tmp_path / "r.json"), *c)[0]
        == 0
    )
    assert bs(capsys, "verify", str(tmp_path / "r.json"))[0] == 0
    urn = json.loads(cred.read_bytes())["id"]
    assert bs(capsys, "assess", "revoke", urn, "--by", "a1", "--reason", "fraud", *c)[0] == 0
    bs(capsys, "assess", "status-list", "--out", str(tmp_path / "s2.json"), *c)
    got = bs(capsys, "verify", str(tmp_path / "r.json"), "--status-list", str(tmp_path / "s2.json"))
    assert got[0] == 1 and "credential 1 of 1: revoked" in got[2]
    # training groups and trainees
    got = bs(
        capsys,
        "training",
        "group",
        "g1",
        "--name",
        "Evening",
        "--trainer",
        "coach",
        "--task",
        "led-module-a",
        "--limit",
        "3600",
        "--target",
        "4000",
        *c,
    )
    assert got[0] == 2 and "above the time limit" in got[2]
    got = bs(
        capsys,
        "training",
        "group",
        "g1",
        "--name",
        "Evening",
        "--trainer",
        "coach",
        "--task",
        "led-module-a",
        "--limit",
        "3600",
        "--target",
        "3600",
        *c,
    )
    assert got[0] == 0  # a target equal to the limit is allowed; the refusal above made nothing
    got = bs(capsys, "training", "trainee", "mei", "--name", "Mei", "--group", "g9", *c)
    assert got == (2, "", "benchscore training: no training group 'g9'\n")


def test_certificates_need_the_centre_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "scorer.toml"
    cfg.write_text('[storage]\npath = "scorer.db"\n')
    got = bs(capsys, "assess", "key", "--config", str(cfg))
    assert got[0] == 2 and "[credentials] centre_key is not set" in got[2]


def test_practice_on_a_real_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trainee practising on a real station: its latest stored run becomes the attempt."""
    from tests.browser.support import feed, make_hall

    hall = make_hall(tmp_path)
    feed(hall.ingest)  # led02's run fails its current (0.25 A)
    hall.close()
    cfg = tmp_path / "scorer.toml"
    cfg.write_text('[storage]\npath = "scorer.db"\n')
    c = ["--config", str(cfg)]
    assert (
        bs(
            capsys,
            "training",
            "group",
            "g",
            "--name",
            "G",
            "--trainer",
            "coach",
            "--task",
            "led-module-a",
            *c,
        )[0]
        == 0
    )
    assert bs(capsys, "training", "trainee", "ivo", "--name", "Ivo", "--group", "g", *c)[0] == 0
    got = bs(
        capsys,
        "practice",
        "led_assembly",
        "--trainee",
        "ivo",
        "--from-station",
        "led02",
        "--time-taken",
        "1800",
        *c,
    )
    assert got == (0, "attempt 1 of ivo: FAIL in 1800 s; failing: current_a\n", "")
    got = bs(capsys, "practice", "led_assembly", "--trainee", "ivo", "--from-station", "led09", *c)
    assert got[0] == 2 and "bench led09: no stored run" in got[2]
    got = bs(capsys, "practice", "power_bank_short", "--trainee", "ivo", "--fault", "open_led", *c)
    assert got[0] == 2 and got[2] == (
        "benchscore practice: --fault 'open_led' is not one of none, weak_cell, "
        "no_short_protection, poor_regulation, high_ripple, overheating\n"
    )
    got = bs(capsys, "practice", "led_assembly", "--trainee", "ivo", "--fault", "melted", *c)
    assert got[0] == 2 and "--fault 'melted' is not one of none, open_string" in got[2]
