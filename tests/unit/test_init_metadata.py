"""`rpmkit init`: name, summary and licence from what the app's folder says."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit.init import metadata

GPL3_HEAD = """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007
 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
"""
LGPL21_HEAD = """GNU LESSER GENERAL PUBLIC LICENSE
Version 2.1, February 1999
... the GNU General Public License ...
"""
ISC = """ISC License

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.
"""
MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software ... The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software."""
BSD = """Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:"""


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        (MIT, "MIT"),
        (MIT.split("... ")[0], "MIT-0"),  # no "above copyright notice" condition
        ("                 Apache License\n           Version 2.0, January 2004\n", "Apache-2.0"),
        (GPL3_HEAD, "GPL-3.0-only"),
        (LGPL21_HEAD, "LGPL-2.1-only"),
        ("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n", "AGPL-3.0-only"),
        (BSD + "\n3. Neither the name of the copyright holder nor ...", "BSD-3-Clause"),
        (BSD, "BSD-2-Clause"),
        (ISC, "ISC"),
        ("Mozilla Public License Version 2.0\n==================\n", "MPL-2.0"),
        ("This is free and unencumbered software released into the public domain.", "Unlicense"),
        ("# SPDX-License-Identifier: Apache-2.0 OR MIT\n", "Apache-2.0 OR MIT"),
        ("All rights reserved. Do not copy.\n", None),
    ],
)
def test_spdx_id_from_the_licence_text(text: str, spdx: str | None) -> None:
    assert metadata.spdx_of(text) == spdx


def test_licence_file_then_pyproject_then_classifier_then_none(tmp_path: Path) -> None:
    assert metadata.license_of(tmp_path) == (
        None,
        "no LICENSE file and no licence in pyproject.toml",
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nclassifiers = ["License :: OSI Approved :: MIT License"]\n'
    )
    assert metadata.license_of(tmp_path) == ("MIT", "pyproject.toml's licence classifier")
    (tmp_path / "pyproject.toml").write_text('[project]\nlicense = "BSD-2-Clause"\n')
    assert metadata.license_of(tmp_path) == ("BSD-2-Clause", "pyproject.toml's license")
    (tmp_path / "LICENSE").write_text("Proprietary. All rights reserved.\n")
    assert metadata.license_of(tmp_path) == (
        None,
        "LICENSE is not a licence text rpmkit recognises",
    )
    (tmp_path / "LICENSE").write_text(GPL3_HEAD)
    assert metadata.license_of(tmp_path) == ("GPL-3.0-only", "the text of LICENSE")


@pytest.mark.parametrize(
    ("text", "name"),
    [("hello-world", "hello-world"), ("My App!", "my-app"), ("2fast", "app-2fast"),
     ("x" * 40, "x" * 32), ("Über_Tool", "ber-tool"),
     ("render-examples+flask-hello-world", "render-examples-flask-hello")],
)  # fmt: skip
def test_rpm_name_is_also_a_valid_user_name(text: str, name: str) -> None:
    assert metadata.rpm_name(text) == name


@pytest.mark.parametrize(
    ("paragraph", "sentence"),
    [
        ("First one. Second one.", "First one."),
        ("Serves v1.2 of it, e.g. for tests. Then more.", "Serves v1.2 of it, e.g. for tests."),
        ("Is it fast? Yes.", "Is it fast?"),
        ("No full stop at all", "No full stop at all"),
        ("See docs.example.com for more. Next.", "See docs.example.com for more."),
    ],
)  # fmt: skip
def test_first_sentence_is_never_cut_inside(paragraph: str, sentence: str) -> None:
    assert metadata.first_sentence(paragraph) == sentence


def test_summary_is_one_clean_line_or_none() -> None:
    assert metadata.clean_summary("a `fast` *app*, 100% [tested](http://x).") == (
        "A fast app, 100 percent tested"
    )
    assert metadata.clean_summary("A `Hello World <https://x.org/a_(b)>`_ example.") == (
        "A Hello World example"
    )
    # Too long for rpmlint: never cut mid-sentence, the caller says so instead.
    assert metadata.clean_summary("word " * 30) is None


def test_readme_prose_skips_headings_badges_and_html(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "# Title\n\n[![ci](https://x/badge.svg)](https://x)\n<p align=center>logo</p>\n\n"
        "First one.\nStill the first paragraph. Second one.\n\nmore\n"
    )
    assert metadata.readme_summary(tmp_path) == "First one."
    (tmp_path / "README.md").write_text("Setext title\n============\n\nThe app does things.\n")
    assert metadata.readme_summary(tmp_path) == "The app does things."
    (tmp_path / "README.md").write_text(
        "# T\n\nVirtual env\n\n```\npython -m venv v\n```\n\n    indented code\n\nIt runs.\n"
    )
    assert metadata.readme_summary(tmp_path) == "It runs."
    (tmp_path / "README.md").write_text("# Only a title\n")
    assert metadata.readme_summary(tmp_path) is None
