"""A non-editable install (the Dockerfile's `pip install .`) carries every page template and asset."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_template_and_static_file_is_package_data():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    missing = []
    for path in sorted((ROOT / "services").rglob("*")):
        relative = path.relative_to(ROOT / "services")
        if not path.is_file() or not {"templates", "static"} & set(relative.parts):
            continue
        package_dir = next(parent for parent in path.parents if (parent / "__init__.py").exists())
        package = ".".join(package_dir.relative_to(ROOT).parts)
        inside = path.relative_to(package_dir).as_posix()
        if not any(fnmatch(inside, pattern) for pattern in declared.get(package, [])):
            missing.append(f"{package}: {inside}")
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
