"""Jinja templates: the packaged ones, overridable from the authority's own folder.

HTML is autoescaped, an undefined name fails loudly (StrictUndefined), and templates
render in Jinja's sandbox, since an authority may supply its own.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path


def packaged_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("reviewcli.templates")))


def long_date(value: date | str | None) -> str:
    """'Tuesday 12 January 2027'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%A} {value.day} {value:%B %Y}"


def environment(template_dir: str | Path | None = None):
    """The Jinja environment for a template folder (None: the packaged templates only).

    One environment per folder for the life of the process, so each template is compiled
    once however many letters are written (Jinja still notices a template edited on disk).
    """
    from .errors import ReviewError

    if template_dir is not None:
        folder = Path(template_dir)
        if not folder.is_dir():
            raise ReviewError(f"template folder {str(folder)!r} does not exist")
        return _environment(str(folder.resolve()))
    return _environment(None)


@lru_cache(maxsize=8)
def _environment(template_dir: str | None):
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    loaders = []
    if template_dir is not None:
        loaders.append(FileSystemLoader(template_dir))
    loaders.append(FileSystemLoader(str(packaged_dir())))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    return env


def render(name: str, context: dict, template_dir: str | Path | None = None) -> str:
    from jinja2 import TemplateError

    from .errors import ReviewError

    env = environment(template_dir)
    try:
        return env.get_template(name).render(**context)
    except TemplateError as e:
        raise ReviewError(f"template {name}: {e}") from None
