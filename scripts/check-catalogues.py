#!/usr/bin/env python3
"""Check the gettext catalogues (the console's, the contestant screen's) against the source.

    python scripts/check-catalogues.py           # exit 1 and one line per problem
    python scripts/check-catalogues.py --update  # rewrite messages.pot, merge it into every .po

The check extracts the texts (babel.cfg; keywords N_ and NP_ with the key as the context) and
fails when ``scorer/locale/messages.pot`` is not the current extraction, or when a language's
``messages.po`` misses a text, keeps one that is gone, has a fuzzy or empty one (every plural
form counts), the wrong number of plural forms, or placeholders (``{name}``) other than the
English text's. Each catalogue (:data:`CATALOGUES`) has its own extraction config, template and
languages. The catalogues are read at run time (no compiled ``.mo``), so a passing check
means every page is fully translated.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path
from typing import NamedTuple

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import PoFileError, read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
BABEL_LOCALE = {"zh": "zh_Hans_CN"}
KEYWORDS = {"N_": ((1, "c"), 2), "NP_": ((1, "c"), 2, 3)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Spec(NamedTuple):
    """One catalogue: extraction config, the directory it is relative to, its languages."""

    name: str
    config: Path
    source: Path
    locale_dir: Path
    langs: tuple[str, ...]

    @property
    def template(self) -> Path:
        return self.locale_dir / "messages.pot"


CATALOGUES = (
    Spec(
        "console",
        ROOT / "babel.cfg",
        ROOT,
        ROOT / "scorer" / "locale",
        ("zh", "ru", "fr", "es", "ar"),
    ),
    Spec(
        "contestant screen",
        ROOT / "firmware_py" / "contestant_screen" / "babel.cfg",
        ROOT / "firmware_py" / "contestant_screen",
        ROOT / "firmware_py" / "contestant_screen" / "locale",
        ("zh", "ru", "fr", "es", "ar"),
    ),
)


def extract(spec: Spec) -> Catalog:
    """The texts in the source, as a template catalogue."""
    with spec.config.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    template = Catalog(project="benchscore", fuzzy=False)
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(spec.source), method_map, options_map, keywords=KEYWORDS, comment_tags=()
    ):
        template.add(message, locations=[(filename, lineno)], context=context)
    return template


def entries(cat: Catalog) -> dict[tuple[str | None, str], Message]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in cat if m.id}


def render(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, cat, width=100, omit_header=False, sort_output=False, include_lineno=False)
    return buf.getvalue()


def _body(data: bytes) -> bytes:
    """A catalogue without its header (dates change on every extraction)."""
    return data.split(b"\n\n", 1)[1] if b"\n\n" in data else data


def texts(m: Message) -> list[str]:
    ids = [m.id] if isinstance(m.id, str) else list(m.id)
    return [str(x) for x in ids]


def check_language(spec: Spec, lang: str, template: Catalog) -> list[str]:
    path = spec.locale_dir / lang / "LC_MESSAGES" / "messages.po"
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if not path.exists():
        return [f"{rel}: missing (run with --update, then translate)"]
    try:
        with path.open("rb") as fh:
            cat = read_po(fh, locale=BABEL_LOCALE.get(lang, lang), abort_invalid=True)
    except (OSError, ValueError, PoFileError) as exc:
        return [f"{rel}: cannot be read: {exc}"]
    problems = []
    want = entries(template)
    have = entries(cat)
    for key, m in want.items():
        got = have.get(key)
        name = f"{rel}: {key[0]!r}"
        if got is None:
            problems.append(f"{name}: missing")
            continue
        if got.fuzzy:
            problems.append(f"{name}: fuzzy")
        strings = [got.string] if isinstance(got.string, str) else list(got.string)
        if m.pluralizable and len(strings) != cat.num_plurals:
            problems.append(f"{name}: {len(strings)} plural forms, {lang} has {cat.num_plurals}")
        if not all(strings):
            problems.append(f"{name}: untranslated")
            continue
        expected = set().union(*(PLACEHOLDER.findall(t) for t in texts(m)))
        for s in strings:
            found = set(PLACEHOLDER.findall(s))
            if found != expected and not (m.pluralizable and found == expected - {"n"}):
                problems.append(f"{name}: placeholders {sorted(found)} != {sorted(expected)}")
    for key in have.keys() - want.keys():
        problems.append(f"{rel}: {key[0]!r}: no longer in the source (run with --update)")
    return problems


def check(spec: Spec) -> list[str]:
    template = extract(spec)
    problems = []
    pot = spec.template
    if not pot.exists() or _body(pot.read_bytes()) != _body(render(template)):
        problems.append(f"{pot.relative_to(ROOT)}: not the current extraction (run with --update)")
    for lang in spec.langs:
        problems += check_language(spec, lang, template)
    return problems


def update(spec: Spec) -> None:
    template = extract(spec)
    spec.template.parent.mkdir(parents=True, exist_ok=True)
    spec.template.write_bytes(render(template))
    for lang in spec.langs:
        path = spec.locale_dir / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                cat = read_po(fh, locale=BABEL_LOCALE.get(lang, lang))
        else:
            cat = Catalog(locale=BABEL_LOCALE.get(lang, lang), project="benchscore")
        cat.update(template, no_fuzzy_matching=True)
        cat.obsolete.clear()
        path.write_bytes(render(cat))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help="rewrite the template, merge it")
    args = ap.parse_args(argv)
    problems = []
    for spec in CATALOGUES:
        if args.update:
            update(spec)
        problems += check(spec)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in the catalogues", file=sys.stderr)
        return 1
    for spec in CATALOGUES:
        print(f"{spec.name} catalogues complete: {', '.join(spec.langs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
