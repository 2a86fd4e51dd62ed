"""The evidence report: HTML with SVG plots (curves, dimming, the illuminance heat map), marks,
measurements and calibration ids; printed to PDF by headless Chromium, plots included."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorer.console.report import chromium_binary, plot_curve, to_pdf
from scorer.console.svgplot import heat_map, line_chart, nice_ticks
from tests.browser.support import Hall, client, feed, login, make_hall

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    h = make_hall(tmp_path_factory.mktemp("report"))
    feed(h.ingest)
    c = client(h.app)
    hdr = {"X-CSRF-Token": login(c, "judge1")}
    c.post(
        "/console/api/judgements",
        json={"competitor": "C01", "aspect": "A3.1", "score": 3},
        headers=hdr,
    )
    chief = client(h.app)
    hc = {"X-CSRF-Token": login(chief, "admin1")}
    chief.post(
        "/console/api/overrides",
        headers=hc,
        json={
            "competitor": "C01",
            "aspect": "A1.2",
            "mark": 0.5,
            "reason": "terminal voltage read at the wrong point",
        },
    )
    yield h
    h.close()


def test_svg_plots() -> None:
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    svg = line_chart("t", [0, 1, 2], [("v", [1.0, 2.0, 1.5])], "x", "y")
    assert svg.startswith("<svg") and "<polyline" in svg and 'style="' not in svg
    # a narrow range never shows two ticks with the same label; limits are a band
    narrow = line_chart(
        "i", [0, 1, 2], [("i", [0.2990, 0.29905, 0.2991])], "x", "A", bands=[(0.2989, None)]
    )
    labels = re.findall(r'text-anchor="end" fill="#374151">([^<]+)<', narrow)
    assert len(labels) >= 3 and len(labels) == len(set(labels)), labels
    assert narrow.count('class="band"') == 1
    hm = heat_map("grid", [0, 1, 0, 1], [0, 0, 1, 1], [10, 20, 30, 40], "lx")
    assert hm.count("<rect") >= 4 + 24 and ">40<" in hm


def test_curves_in_the_report() -> None:
    data = {
        "t_s": [100.0, 100.5, 101.0],
        "voltage_v": [5.0, 5.1, 5.0],
        "current_a": [1.0, 1.1, 1.2],
        "temperature_c": [25.0, 26.0, 27.0],
        "empty_v": [],
    }
    svg = plot_curve("fr", "discharge", data, {"current_a": {"low": 0.9, "high": 1.3}})
    assert svg.count("<svg") == 3  # volts, amps, degrees: one chart each
    assert "tension (V)" in svg and "courant (A)" in svg and "temps (s)" in svg
    assert "current_a" not in svg and svg.count('class="band"') == 1
    assert ">0<" in svg  # time from the run's start, not 100 s
    assert "Pas encore de données" in plot_curve("fr", "x", {"t_s": [1.0], "v_v": []})


def test_report_html(hall: Hall) -> None:
    c = client(hall.app)
    login(c, "admin1")
    page = c.get("/console/report/C01")
    assert page.status_code == 200
    html = page.text
    assert "Anna Ivanova" in html and "led01" in html
    assert html.count("<svg") >= 3  # samples (2 units), dimming, heat map
    assert "Illuminance grid" in html and "Dimming" in html
    assert "CAL-2025-014" in html and "CAL-2025-022" in html  # calibration ids in the status
    assert "led01.light_sensor.illuminance_lx.20260301T101500Z" in html  # ... and in the run
    assert "terminal voltage read at the wrong point" in html  # the override and its reason
    assert "judge1: 3" in html
    assert "0.27 … 0.33" in html  # limits: the report is for the marking team
    assert c.get("/console/report/C99").status_code == 404
    zh = c.get("/console/report/C01?lang=zh").text
    assert "证据报告" in zh and "照度网格" in zh


@pytest.mark.skipif(chromium_binary() is None, reason="Chromium is not installed")
def test_report_pdf_has_its_plots(hall: Hall) -> None:
    c = client(hall.app)
    login(c, "judge1")
    resp = c.get("/console/report/C01.pdf")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = resp.content
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "evidence-C01.pdf"
    out.write_bytes(pdf)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Evidence report" in text and "CAL-2025-014" in text
        assert "Illuminance grid" in text  # the heat map's title, drawn as SVG text
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(out), str(ARTIFACTS / "evidence-C01")], check=True
        )
        assert list(ARTIFACTS.glob("evidence-C01-*.png"))


@pytest.mark.skipif(chromium_binary() is None, reason="Chromium is not installed")
def test_pdf_in_chinese() -> None:
    html = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body><h1>证据报告</h1>'
        + line_chart("曲线", [0, 1, 2], [("电压", [1.0, 2.0, 1.5])], "时间", "V")
        + "</body></html>"
    )
    pdf = to_pdf(html)
    assert pdf.startswith(b"%PDF")


@pytest.mark.skipif(
    chromium_binary() is None or shutil.which("pdfinfo") is None,
    reason="needs Chromium and poppler-utils",
)
def test_practice_does_not_grow_the_report(tmp_path: Path) -> None:
    """200 practice runs and 2 marked attempts: at most 10 pages, the summary first."""
    from benchscore.protocol import Topics
    from tests.browser.support import EVENT, curve, enc, result

    h = make_hall(tmp_path)
    try:
        t = Topics(EVENT, "led01")
        seq = 0
        for run in range(1, 203):
            marked = run in (100, 202)
            seq += 1
            n = 200
            h.ingest.handle(
                t.record,
                enc(
                    curve(
                        "led01",
                        seq,
                        "samples",
                        ["t_s", "voltage_v", "current_a"],
                        [[i * 0.1 for i in range(n)], [12.0] * n, [0.3] * n],
                        run=run,
                    )
                ),
            )
            seq += 1
            body = result("led01", seq, 0.30 if run % 3 else 0.25, run=run)
            body["marked"] = marked
            h.ingest.handle(t.record, enc(body))
        c = client(h.app)
        login(c, "admin1")
        html = c.get("/console/report/C01").text
        summary, evidence, practice = (
            html.index("Summary"),
            html.index("Evidence of the marked attempts"),
            html.index("Practice runs"),
        )
        assert summary < evidence < practice
        assert "The newest 8 of 200 practice runs" in html
        assert html.count("class='run'") == 2  # only the marked attempts in full
        resp = c.get("/console/report/C01.pdf")
        assert resp.status_code == 200
        out = ARTIFACTS / "evidence-200-practice.pdf"
        ARTIFACTS.mkdir(exist_ok=True)
        out.write_bytes(resp.content)
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
        pages = int(
            next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1]
        )
        assert pages <= 10, pages
        if shutil.which("pdftoppm"):
            subprocess.run(
                ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out),
                 str(ARTIFACTS / "evidence-200-practice")],
                check=True,
            )  # fmt: skip
    finally:
        h.close()


def test_report_in_arabic_is_right_to_left(hall: Hall) -> None:
    c = client(hall.app)
    login(c, "admin1")
    ar = c.get("/console/report/C01?lang=ar").text
    assert 'dir="rtl"' in ar and "تقرير الأدلة" in ar and "الملخص" in ar
