"""The contestant screen's languages: gettext catalogues read with Babel.

English is the source (:mod:`.messages`); ``locale/<lang>/LC_MESSAGES/messages.po`` holds a
language, each entry's context being the text's key. Fuzzy, empty or stale entries are
skipped (the text stays English; ``scripts/check-catalogues.py`` fails the build).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

from .messages import MESSAGES

LANGS: Final = ("en", "zh", "ru", "fr", "es", "ar")
"""The screen's languages (``?lang=`` and the ``bs_lang`` cookie use these codes)."""
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
BABEL_LOCALE: Final = {"zh": "zh_Hans_CN"}
HTML_LANG: Final = {"zh": "zh-CN"}


def babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALE.get(lang, lang))


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> dict[str, str]:
    """Every text of ``lang`` by key (English where the catalogue has none)."""
    texts = dict(MESSAGES)
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or lang not in LANGS or not path.exists():
        return texts
    with path.open("rb") as fh:
        cat = read_po(fh, locale=babel_locale(lang))
    for m in cat:
        current = m.context in MESSAGES and m.id == MESSAGES[m.context]
        if current and m.context and not m.fuzzy and isinstance(m.string, str) and m.string:
            texts[m.context] = m.string
    return texts


def pick_lang(query: str | None, cookie: str | None, accept: str | None) -> str:
    """``?lang=``, else the cookie, else the best of ``Accept-Language``, else English."""
    for candidate in (query, cookie):
        if candidate in LANGS:
            return str(candidate)
    for part in (accept or "").split(",")[:20]:
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGS:
            return code
    return "en"


def direction(lang: str) -> str:
    """``rtl`` or ``ltr`` (from the locale's character order)."""
    try:
        order = babel_locale(lang).character_order
    except UnknownLocaleError:
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def autonyms() -> dict[str, str]:
    """Each language's name in itself, for the language switch."""
    out = {}
    for lang in LANGS:
        name = babel_locale(lang).language_name or lang
        out[lang] = name[:1].upper() + name[1:]
    return out
