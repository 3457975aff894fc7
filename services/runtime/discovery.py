"""Which services there are: the packages under services/ that hold a declaration.py (its `SERVICE`).

Found by their files, without importing them: health lists the services this way, and the
platform imports each declaration (services/platform/declarations.py).
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

DECLARATION_MODULE = "declaration"
SERVICES_ROOT = Path(__file__).resolve().parent.parent


def declared_service_names() -> list[str]:
    return sorted(package.name for package in pkgutil.iter_modules([str(SERVICES_ROOT)])
                  if package.ispkg and (SERVICES_ROOT / package.name / f"{DECLARATION_MODULE}.py").exists())
