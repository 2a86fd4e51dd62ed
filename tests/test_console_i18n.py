"""English and Simplified Chinese: every key in both, every key the scripts use exists, and
the interface switches with the language cookie."""

from __future__ import annotations

import re
from pathlib import Path

from scorer.console.i18n import CATALOG, pick_lang, t
from tests.browser.support import client, login, make_hall

STATIC = Path(__file__).resolve().parents[1] / "scorer" / "static"


def test_both_languages_have_every_key() -> None:
    assert set(CATALOG["en"]) == set(CATALOG["zh"])
    for key, text in CATALOG["zh"].items():
        placeholders = set(re.findall(r"\{(\w+)\}", CATALOG["en"][key]))
        assert placeholders == set(re.findall(r"\{(\w+)\}", text)), key
    # Chinese texts are Chinese (brand names, units and numbers aside)
    han = [k for k, v in CATALOG["zh"].items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert len(han) > 0.85 * len(CATALOG["zh"])


def test_every_key_the_scripts_use_exists() -> None:
    used: set[str] = set()
    for js in ("console.js", "hall.js", "station.js"):
        text = (STATIC / js).read_text(encoding="utf-8")
        used |= set(re.findall(r'"((?:[a-z]+)\.[a-z_0-9]+)"', text))
        for prefix in re.findall(r'BS\.t\("([a-z]+\.)" \+', text):
            used |= {k for k in CATALOG["en"] if k.startswith(prefix)}
    used = {u for u in used if not u.endswith((".js", ".css", ".pdf"))}
    missing = sorted(u for u in used if u not in CATALOG["en"])
    assert not missing, missing


def test_server_side_texts_exist() -> None:
    src = (Path(__file__).resolve().parents[1] / "scorer" / "console").glob("*.py")
    used: set[str] = set()
    for f in src:
        used |= set(re.findall(r"""t\(\s*lang,\s*["']([a-z_]+\.[a-z_0-9]+)["']""", f.read_text()))
        used |= set(re.findall(r'"((?:nav|title|role)\.[a-z_]+)"', f.read_text()))
    missing = sorted(u for u in used if u not in CATALOG["en"])
    assert used and not missing, missing


def test_pick_and_fill() -> None:
    assert pick_lang("zh") == "zh" and pick_lang("fr") == "en" and pick_lang("en", "zh") == "zh"
    assert t("zh", "hall.stations", n=3) == "3 个工位"
    assert t("en", "no.such.key") == "no.such.key"


def test_the_interface_switches_language(tmp_path: Path) -> None:
    h = make_hall(tmp_path)
    try:
        c = client(h.app)
        login(c, "admin1")
        en = c.get("/console/hall").text
        assert 'lang="en"' in en and ">Fleet health<" in en and ">Log out<" in en
        c.cookies.set("bs_lang", "zh")
        zh = c.get("/console/hall").text
        assert 'lang="zh-CN"' in zh and ">设备健康<" in zh and ">退出<" in zh
        assert '"nav.hall": "赛场"' in zh  # the catalogue the scripts read
        assert 'data-to="en"' in zh  # the switch goes back to English
        board = client(h.app).get("/board?lang=zh").text
        assert "公开榜单" in board
    finally:
        h.close()
