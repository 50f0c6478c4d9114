"""Industry templates: app packages (``app.yaml``) with demo-data generators (``demo.py``).

Each template is a folder ``<name>/`` holding ``app.yaml`` and a ``demo.py`` whose
``load(services, **kw)`` imports the package and writes demo records. Templates are data read
through ``cairn.services``; nothing here touches the database directly.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.core import NotFound

if TYPE_CHECKING:
    from cairn.services import Services

ROOT = Path(__file__).parent


def available() -> list[str]:
    """The names of the templates that ship with Cairn, sorted."""
    return sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "app.yaml").is_file() and (p / "demo.py").is_file()
    )


def package_text(name: str) -> str:
    """The app package (YAML) of template ``name``."""
    if name not in available():
        raise NotFound("template.not_found", template=name)
    return (ROOT / name / "app.yaml").read_text(encoding="utf-8")


def load_template(services: Services, name: str, **kw: Any) -> dict[str, Any]:
    """Import template ``name`` and its demo data; ``kw`` goes to its ``demo.load``."""
    if name not in available():
        raise NotFound("template.not_found", template=name)
    module = importlib.import_module(f"{__name__}.{name}.demo")
    return module.load(services, **kw)


__all__ = ["available", "load_template", "package_text"]
