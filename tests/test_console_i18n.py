"""The console's languages: gettext catalogues complete (scripts/check-catalogues.py), every key
the scripts use exists, plural forms, numbers, dates and reasons in the reader's language, and
the interface switches with the language cookie (Arabic right to left)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from scorer.console.i18n import (
    CATALOG,
    LANGS,
    direction,
    js_catalog,
    num,
    pick_lang,
    reason,
    t,
    tn,
    when,
)
from scorer.console.messages import MESSAGES
from tests.browser.support import client, login, make_hall

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "scorer" / "static"


def test_the_catalogue_check_passes() -> None:
    """The build's gate: every language has every text, none fuzzy or empty."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check-catalogues.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_finds_a_missing_and_a_fuzzy_text(tmp_path: Path) -> None:
    spec = ROOT / "scripts" / "check-catalogues.py"
    src = spec.read_text(encoding="utf-8")
    import importlib.util

    module_spec = importlib.util.spec_from_file_location("check_catalogues", spec)
    assert module_spec is not None and module_spec.loader is not None
    mod = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(mod)
    assert "def check_language" in src
    po = (ROOT / "scorer/locale/fr/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    broken = po.replace('msgctxt "nav.hall"\nmsgid "Hall"\nmsgstr "Salle"\n', "")
    broken = broken.replace('msgctxt "nav.judge"', '#, fuzzy\nmsgctxt "nav.judge"')
    assert broken != po
    (tmp_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "fr" / "LC_MESSAGES" / "messages.po").write_text(broken, encoding="utf-8")
    console = mod.CATALOGUES[0]._replace(locale_dir=tmp_path)
    problems = mod.check_language(console, "fr", mod.extract(console))
    assert any("'nav.hall': missing" in p for p in problems), problems
    assert any("'nav.judge': fuzzy" in p for p in problems), problems


def test_every_key_the_scripts_use_exists() -> None:
    used: set[str] = set()
    for js in STATIC.glob("*.js"):
        if js.name.startswith("uplot"):
            continue
        text = js.read_text(encoding="utf-8")
        used |= set(re.findall(r'"((?:[a-z]+)\.[a-z_0-9]+)"', text))
        for prefix in re.findall(r'BS\.t\("([a-z]+\.(?:[a-z]+_)?)" \+', text):
            assert any(k.startswith(prefix) for k in MESSAGES), prefix
    used = {u for u in used if not u.endswith((".js", ".css", ".pdf", "_", "."))}
    missing = sorted(u for u in used if u not in MESSAGES)
    assert not missing, missing


def test_server_side_texts_exist() -> None:
    used: set[str] = set()
    for f in (ROOT / "scorer" / "console").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\btn?\(\s*lang,\s*["']([a-z_]+\.[a-z_0-9.]+)["']""", text))
        used |= set(re.findall(r'"((?:nav|title|role)\.[a-z_]+)"', text))
    missing = sorted(u for u in used if u not in MESSAGES)
    assert used and not missing, missing


def test_every_language_translates_every_text() -> None:
    for lang in LANGS[1:]:
        texts = CATALOG[lang]
        same = [k for k, v in texts.items() if v == t("en", k) and re.search("[a-z]{4}", v)]
        # a few texts are the same in French or Spanish ("Module", "Total", "Duv")
        assert len(same) < 0.06 * len(texts), (lang, same)
    han = [k for k, v in CATALOG["zh"].items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert len(han) > 0.9 * len(CATALOG["zh"])


def test_pick_plural_and_fill() -> None:
    assert pick_lang("zh") == "zh" and pick_lang("de") == "en" and pick_lang("en", "zh") == "zh"
    assert pick_lang(None, None, "de-DE,ru;q=0.8,en;q=0.5") == "ru"
    assert pick_lang(None, None, "ar-EG") == "ar"
    assert t("zh", "nav.fleet") == "设备健康"
    assert t("en", "no.such.key") == "no.such.key"
    assert [tn("ru", "hall.stations", n) for n in (1, 3, 5, 21)] == [
        "1 станция",
        "3 станции",
        "5 станций",
        "21 станция",
    ]
    assert tn("en", "hall.stations", 1) == "1 station" and tn("en", "hall.stations", 2) == (
        "2 stations"
    )
    assert tn("ar", "hall.stations", 2) == "محطتان" and tn("ar", "hall.stations", 5) == "5 محطات"
    assert tn("zh", "hall.stations", 3) == "3 个工位"
    ru = js_catalog("ru")["hall.stations"]
    assert isinstance(ru, dict) and ru["few"] == "{n} станции" and ru["many"] == "{n} станций"


def test_numbers_dates_direction() -> None:
    assert num("en", 1234.56) == "1,235" and num("fr", 12345.6) == "12\u202f346"
    assert num("en", 12.345) == "12.35" and num("de", 3) == "3"
    assert num("ru", 0.2999) == "0,2999" and num("ar", 12.5) == "12.5"
    assert direction("ar") == "rtl" and direction("zh") == "ltr"
    ts = 1772000000.0  # 2026-02-25
    assert "2026" in when("zh", ts) and "年" in when("zh", ts)
    assert "févr." in when("fr", ts)


def test_reasons_are_rendered_from_codes() -> None:
    params = {"quantity": "current_a", "value": 0.25, "unit": "A", "range": "0,27 – 0,33 A"}
    english = "current_a 0.25 A outside 0.27..0.33 A"
    fr = reason("fr", "too_low", params, english)
    assert fr == "courant 0,25 A : trop bas (limites 0,27 – 0,33 A)"
    assert reason("zh", "too_low", params, english).startswith("电流 0.25 A 过低")
    assert reason("fr", "no_such_code", params, english) == english
    assert reason("fr", "too_low", {"value": 1}, english) == english  # a parameter missing
    assert reason("ru", None, None, english) == english


def test_the_interface_switches_language(tmp_path: Path) -> None:
    h = make_hall(tmp_path)
    try:
        c = client(h.app)
        login(c, "admin1")
        en = c.get("/console/hall").text
        assert 'lang="en" dir="ltr"' in en and ">Fleet health<" in en and ">Log out<" in en
        c.cookies.set("bs_lang", "zh")
        zh = c.get("/console/hall").text
        assert 'lang="zh-CN"' in zh and ">设备健康<" in zh and ">退出<" in zh
        assert '"nav.hall": "赛场"' in zh  # the catalogue the scripts read
        assert '<option value="ar" lang="ar">العربية</option>' in zh  # the switch
        ar = c.get("/console/hall?lang=ar").text
        assert 'lang="ar" dir="rtl"' in ar and ">حالة المحطات<" in ar
        board = client(h.app).get("/board?lang=ru").text
        assert "Табло" in board
        guess = client(h.app).get("/board", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
        assert 'lang="es"' in guess and "Marcador público" in guess
    finally:
        h.close()


def test_refusals_carry_a_code_the_catalogues_know(tmp_path: Path) -> None:
    codes: set[str] = set()
    for f in (ROOT / "scorer" / "console").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\b\d{3}, "([a-z_]+)"', text))
        codes |= set(re.findall(r'code="([a-z_]+)"', text))
        codes |= set(re.findall(r'code="([a-z_]+)" if', text))
        codes |= set(re.findall(r'else "([a-z_]+)",\n\s*module=', text))
    assert {"locked", "change_reason", "csrf", "forbidden", "already_open"} <= codes
    missing = sorted(c for c in codes if f"error.{c}" not in MESSAGES)
    assert not missing, missing
    h = make_hall(tmp_path)
    try:
        chief = client(h.app)
        token = login(chief, "admin1")
        lock = chief.post(
            "/console/api/competition/led/lock", json={}, headers={"X-CSRF-Token": token}
        )
        assert lock.status_code == 200
        judge = client(h.app)
        token = login(judge, "judge1")
        body = {"competitor": "C01", "aspect": "A3.1", "score": 2}
        refused = judge.post("/console/api/judgements", json=body, headers={"X-CSRF-Token": token})
        assert refused.status_code == 409
        got = refused.json()
        assert got["code"] == "locked" and got["params"] == {"module": "led"}
        assert "locked" in got["error"]  # the English text stays
        assert t("zh", "error." + got["code"], **got["params"]) == "模块 led 的分数已锁定。"
        assert t("ar", "error.forbidden") == "لا يُسمح لحسابك بهذا الإجراء."
    finally:
        h.close()
