"""Where the bundled `images/` and `specs/` folders are, installed or in a checkout."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def data_root() -> Path:
    """The folder holding `images/` and `specs/`.

    A wheel carries them as `rpmkit/_data/`; an editable install or a checkout
    has them beside the package. Never relative to the working directory.
    """
    packaged = Path(str(files("rpmkit"))) / "_data"
    if (packaged / "images").is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def images_dir() -> Path:
    """The bundled `images/` folder: one sub-folder per profile."""
    return data_root() / "images"


def specs_dir() -> Path:
    """The bundled `specs/` folder: spec templates and their partials."""
    return data_root() / "specs"
