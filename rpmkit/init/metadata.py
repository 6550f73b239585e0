"""The package's name, version, summary and licence, from what the app's folder says."""

from __future__ import annotations

import re
from pathlib import Path

from rpmkit import toml
from rpmkit.errors import RpmkitError

MAX_SUMMARY = 79  # rpmlint: summary-too-long
LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "COPYING.txt")
README_FILES = ("README.md", "README.rst", "README.txt", "README")
# Distinctive phrases of each licence's text (whitespace and case folded), most specific
# first: the SPDX id of the first licence whose every phrase is in the file.
LICENSE_TEXTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0-only", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0-only", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1-only", ("gnu lesser general public license", "version 2.1")),
    ("GPL-3.0-only", ("gnu general public license", "version 3, 29 june 2007")),
    ("GPL-2.0-only", ("gnu general public license", "version 2, june 1991")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("BSL-1.0", ("boost software license - version 1.0",)),
    ("EPL-2.0", ("eclipse public license - v 2.0",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
    ("CC0-1.0", ("cc0 1.0 universal",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    ("MIT", ("permission is hereby granted, free of charge", "the above copyright notice")),
    ("MIT-0", ("permission is hereby granted, free of charge",)),
    (
        "BSD-3-Clause",
        ("redistribution and use in source and binary forms", "neither the name"),
    ),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("Zlib", ("this software is provided 'as-is'", "altered source versions must be plainly")),
)
# Trove classifiers (`License :: OSI Approved :: ...`) and their SPDX ids.
CLASSIFIERS = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD-3-Clause",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
}
_SPDX_LINE = re.compile(
    r"SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+(?: (?:OR|AND|WITH) [A-Za-z0-9.+-]+)*)"
)
# A dot that ends an abbreviation or a number, not a sentence.
_NOT_AN_END = re.compile(
    r"(\b(e\.g|i\.e|etc|vs|cf|approx|incl|no|dr|mr|ms|st)|\b[A-Za-z]|\d)\.$", re.I
)


def project(app_dir: Path) -> dict[str, object]:
    """pyproject.toml's [project] table, or {}."""
    path = app_dir / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        table = toml.load(path).get("project", {})
    except RpmkitError:
        return {}
    return table if isinstance(table, dict) else {}


def rpm_name(text: str) -> str:
    """A package name that is also a valid user name: lower case, letters, digits and '-'."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"app-{name}".strip("-")
    if len(name) > 32:  # useradd's limit; cut between words when one ends late enough
        cut = name[:33].rfind("-")
        name = name[:cut] if cut >= 16 else name[:32]
    return name.rstrip("-")


def license_of(app_dir: Path) -> tuple[str | None, str]:
    """(SPDX id or None, where it came from or why there is none)."""
    for name in LICENSE_FILES:
        path = app_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            spdx = spdx_of(text)
            if spdx:
                return spdx, f"the text of {name}"
            return None, f"{name} is not a licence text rpmkit recognises"
    meta = project(app_dir)
    declared = meta.get("license")
    if isinstance(declared, dict):
        declared = declared.get("text")
    if (
        isinstance(declared, str)
        and declared.strip()
        and len(declared) < 60
        and "\n" not in declared
    ):
        return declared.strip(), "pyproject.toml's license"
    classifiers = meta.get("classifiers")
    for classifier in classifiers if isinstance(classifiers, list) else []:
        spdx = CLASSIFIERS.get(str(classifier).rsplit(" :: ", 1)[-1])
        if str(classifier).startswith("License ::") and spdx:
            return spdx, "pyproject.toml's licence classifier"
    return None, "no LICENSE file and no licence in pyproject.toml"


def spdx_of(text: str) -> str | None:
    """The SPDX id of a licence file's text, for the common licences; None otherwise."""
    declared = _SPDX_LINE.search(text)
    if declared:
        return declared[1]
    folded = " ".join(text.split()).lower()
    for spdx, phrases in LICENSE_TEXTS:
        if all(p in folded for p in phrases):
            return spdx
    return None


def readme_summary(app_dir: Path) -> str | None:
    """The first sentence of the README's first paragraph of prose."""
    for name in README_FILES:
        path = app_dir / name
        if path.is_file():
            paragraph = first_paragraph(path.read_text(encoding="utf-8", errors="replace"))
            if paragraph:
                return first_sentence(paragraph)
    return None


def first_paragraph(text: str) -> str:
    """The first paragraph that is prose: no heading, badge, HTML, table, code or directive."""
    lines = text.splitlines()
    paragraph: list[str] = []
    fenced = False
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        if fenced or raw.startswith(("    ", "\t")):  # code, or an indented literal block
            line = ""
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        underline = bool(following) and set(following) <= set("=-~^*#+") and len(following) >= 3
        skipped = (
            not line
            or underline  # a setext (Markdown) or reStructuredText heading's title
            or set(line) <= set("=-~^*#+")
            or line.startswith(("#", "```", "|", "<", "[!", "!", "..", ":", ">", "-", "*", "+"))
        )
        if skipped and paragraph:
            text = " ".join(paragraph)
            # A label such as "Virtual env" above a code block is not prose.
            if len(text.split()) >= 3 or text[-1] in ".!?":
                return text
            paragraph = []
        if not skipped:
            paragraph.append(line)
    return " ".join(paragraph)


def first_sentence(paragraph: str) -> str:
    """The paragraph up to the end of its first sentence (a '.', '!' or '?' before a space)."""
    for match in re.finditer(r"[.!?](?=\s|$)", paragraph):
        if match.group() == "." and _NOT_AN_END.search(paragraph[: match.end()]):
            continue
        return paragraph[: match.end()]
    return paragraph


def clean_summary(text: str) -> str | None:
    """One line rpm and rpmlint accept, or None when the sentence is too long to be one.

    Markup goes, a final '.' goes (rpmlint: summary-ended-with-dot), the first
    letter is capitalised (summary-not-capitalized); a sentence is never cut:
    one longer than 79 characters (summary-too-long) gives None.
    """
    line = " ".join(text.split())
    line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)  # markdown links and images
    line = re.sub(r"`([^`<]*?)\s*<[^>`]*>`_{1,2}", r"\1", line)  # reST links
    line = re.sub(r"`+([^`]*)`+_?", r"\1", line)  # code
    line = line.replace("**", "").replace("__", "").replace("*", "")
    line = line.replace("%", " percent").strip().rstrip(".").strip()
    if not line or len(line) > MAX_SUMMARY:
        return None
    return line[0].upper() + line[1:]
