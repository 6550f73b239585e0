"""mkdocs hooks: put the pages generated from the code into the docs build.

mkdocs loads this file with its folder on sys.path (`hooks:` in mkdocs.yml).
- reference/configuration.md is generated whole, from the pydantic config models;
- reference/cli.md is written by hand around one marker line, which is
  replaced by every command's `--help` text, from the click commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cli_reference
import config_reference
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

CLI_PAGE = "reference/cli.md"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the configuration reference."""
    files.append(File.generated(config, config_reference.PAGE, content=config_reference.render()))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Fill in the CLI reference where its page asks for it."""
    if page.file.src_uri != CLI_PAGE:
        return markdown
    if markdown.count(cli_reference.MARKER) != 1:
        raise PluginError(f"{CLI_PAGE} must hold the line {cli_reference.MARKER!r} once")
    return markdown.replace(cli_reference.MARKER, cli_reference.render())
