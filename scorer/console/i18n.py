"""The console's languages: gettext catalogues read with Babel, numbers and dates by locale.

English is the source (:mod:`.messages`); every other language is a catalogue
``scorer/locale/<lang>/LC_MESSAGES/messages.po`` whose entries carry the text's key as their
context. The ``.po`` files are read when first needed (no compiled ``.mo``, so nothing can go
stale); fuzzy and empty entries are ignored (the text stays English and
``scripts/check-catalogues.py`` fails the build).

The server renders frames and reports with :func:`t` / :func:`tn`; the browser gets
:func:`js_catalog` of the page's language as a JSON block and looks texts up by the same keys
(``console.js``: plural texts arrive as one text per CLDR plural category, chosen there with
``Intl.PluralRules``). The language comes from ``?lang=``, the ``bs_lang`` cookie (the switch in
every page's header sets it), then the browser's ``Accept-Language``; else English.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from babel import Locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from .messages import MESSAGES

LANGS: Final = ("en", "zh", "ru", "fr", "es", "ar")
"""The interface's languages, by the code the cookie and ``?lang=`` use."""
LANG_COOKIE: Final = "bs_lang"
LOCALE_DIR: Final = Path(__file__).resolve().parents[1] / "locale"
DOMAIN: Final = "messages"
BCP47: Final = {"zh": "zh-CN"}
"""The ``lang`` attribute of a page (and the browser's ``Intl`` locale) where not the code."""
BABEL_LOCALE: Final = {"zh": "zh_Hans_CN"}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# -- the catalogues ---------------------------------------------------------------------------
def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


class Translation:
    """One language's translated texts: key -> text, or key -> the plural forms."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.texts: dict[str, str | tuple[str, ...]] = {}
        self.plural: Callable[[int], int] = lambda n: 0 if n == 1 else 1
        path = po_path(lang)
        if lang == "en" or not path.exists():
            return
        with path.open("rb") as fh:
            cat = read_po(fh, locale=babel_locale(lang))
        self.plural = gettext.c2py(cat.plural_expr)
        for m in cat:
            if not m.id or m.fuzzy or not m.context:
                continue
            english = MESSAGES.get(m.context)
            if english is None:
                continue
            got = m.string
            if isinstance(got, tuple | list):
                if got and all(got) and isinstance(english, tuple):
                    self.texts[m.context] = tuple(got)
            elif got and isinstance(english, str) and m.id == english:
                self.texts[m.context] = got

    def text(self, key: str) -> str:
        got = self.texts.get(key)
        if isinstance(got, str):
            return got
        english = MESSAGES.get(key)
        if isinstance(english, str):
            return english
        if isinstance(got, tuple):  # a plural text asked for without a count
            return got[-1]
        return english[1] if english else key

    def ntext(self, key: str, n: int) -> str:
        got = self.texts.get(key)
        if isinstance(got, tuple):
            idx = self.plural(n)
            return got[idx] if 0 <= idx < len(got) else got[-1]
        english = MESSAGES.get(key)
        if isinstance(english, tuple):
            return english[0] if n == 1 else english[1]
        return self.text(key)


@lru_cache(maxsize=len(LANGS))
def translation(lang: str) -> Translation:
    return Translation(lang if lang in LANGS else "en")


class _Catalog(Mapping[str, dict[str, str]]):
    """``CATALOG[lang][key]``: every text of ``lang`` (plural texts in their plural form)."""

    def __getitem__(self, lang: str) -> dict[str, str]:
        if lang not in LANGS:
            raise KeyError(lang)
        tr = translation(lang)
        return {k: tr.text(k) for k in MESSAGES}

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


CATALOG: Final = _Catalog()


# -- choosing a language -----------------------------------------------------------------------
def _from_accept(header: str | None) -> str | None:
    """The best of :data:`LANGS` in an ``Accept-Language`` header."""
    if not header:
        return None
    wanted: list[tuple[float, str]] = []
    for part in header.split(",")[:20]:
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        wanted.append((weight, tag.strip().lower().split("-")[0]))
    for _, code in sorted(wanted, key=lambda w: -w[0]):
        if code in LANGS:
            return code
    return None


def pick_lang(cookie: str | None, query: str | None = None, accept: str | None = None) -> str:
    """``?lang=``, else the cookie, else ``Accept-Language``, else English."""
    for candidate in (query, cookie):
        if candidate in LANGS:
            return str(candidate)
    return _from_accept(accept) or "en"


def babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALE.get(lang, lang))


def html_lang(lang: str) -> str:
    return BCP47.get(lang, lang)


def direction(lang: str) -> str:
    """``rtl`` or ``ltr``."""
    return "rtl" if babel_locale(lang).character_order == "right-to-left" else "ltr"


def lang_names() -> dict[str, str]:
    """Each language's name in itself (the switcher's choices)."""
    out = {}
    for lang in LANGS:
        name = babel_locale(lang).language_name or lang
        out[lang] = name[:1].upper() + name[1:]
    return out


# -- texts -------------------------------------------------------------------------------------
def _fill(text: str, kw: Mapping[str, object]) -> str:
    for name, value in kw.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def t(lang: str, key: str, **kw: object) -> str:
    """The text of ``key`` in ``lang`` (English if missing there), ``{name}``s filled in."""
    return _fill(translation(lang).text(key), kw)


def tn(lang: str, key: str, n: int, **kw: object) -> str:
    """The plural form of ``key`` for the count ``n`` (``{n}`` filled in as a number)."""
    return _fill(translation(lang).ntext(key, n), {"n": num(lang, n), **kw})


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def reason(lang: str, code: str | None, params: Mapping[str, Any] | None, english: str) -> str:
    """A station's reason in ``lang``: the text of ``reason.<code>`` with ``params`` filled in
    (numbers formatted for ``lang``, a ``quantity`` parameter named in ``lang``), or the
    station's own ``english`` text when the code is unknown or a parameter is missing."""
    key = f"reason.{code}" if code else ""
    if key not in MESSAGES:
        return english
    params = dict(params or {})
    text = translation(lang).text(key)
    if not placeholders(text) <= set(params):
        return english
    shown: dict[str, object] = {}
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            shown[k] = quantity(lang, str(v)) if k == "quantity" else v
        else:
            shown[k] = num(lang, v)
    return _fill(text, shown)


def quantity(lang: str, name: str) -> str:
    """A value's name (``voltage_v``, ``illuminance``) as the reader says it."""
    base = name.lower()
    for suffix in UNIT_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    key = f"q.{base}"
    return t(lang, key) if key in MESSAGES else name


UNIT_SUFFIXES: Final = {
    "_v": "V",
    "_a": "A",
    "_w": "W",
    "_lx": "lx",
    "_c": "°C",
    "_s": "s",
    "_wh": "Wh",
    "_mah": "mAh",
    "_pct": "%",
    "_k": "K",
    "_hz": "Hz",
}
"""Name suffix -> unit, the stations' naming convention (``current_a``)."""


# -- numbers and dates -------------------------------------------------------------------------
def num(lang: str, value: float | int | None, digits: int = 4) -> str:
    """``value`` with up to ``digits`` significant digits, in the reader's number format."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=babel_locale(lang), numbering_system="latn")
    a = abs(value)
    if a != 0 and (a >= 1e7 or a < 1e-4):
        return f"{value:.3e}"
    decimals = max(0, digits - 1 - (len(str(int(a))) - 1 if a >= 1 else -1))
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(
        round(value, decimals), format=pattern, locale=babel_locale(lang), numbering_system="latn"
    )


def when(lang: str, ts: float) -> str:
    """A moment (epoch seconds) as the reader writes a date and time, in local time."""
    moment = dt.datetime.fromtimestamp(ts).astimezone()
    return format_datetime(moment, format="medium", locale=babel_locale(lang))


def js_catalog(lang: str) -> dict[str, str | dict[str, str]]:
    """The texts the browser gets: key -> text; a plural text as CLDR category -> text."""
    tr = translation(lang)
    loc = babel_locale(lang)
    samples: dict[str, int] = {}
    for n in [*range(0, 200), 1000000]:
        samples.setdefault(loc.plural_form(n), n)
    out: dict[str, str | dict[str, str]] = {}
    for key, english in MESSAGES.items():
        if isinstance(english, tuple):
            out[key] = {tag: tr.ntext(key, n) for tag, n in samples.items()}
        else:
            out[key] = tr.text(key)
    return out
