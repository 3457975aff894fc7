"""Where the `dashloom` command finds the platform, from any folder.

`dashloom up` keeps its state (the NATS URL it started, the read models, the secrets key) in
its state folder, `.dashloom/` of the folder it was started in unless DASHLOOM_STATE_DIR says
otherwise, and records that folder's absolute path in `$XDG_STATE_HOME/dashloom/state-dir`
(`~/.local/state/dashloom/state-dir`). Every other command then looks in: DASHLOOM_STATE_DIR;
`.dashloom/` of the current folder, when there is one; the folder `dashloom up` last recorded.
"""

from __future__ import annotations

import os
from pathlib import Path

from services.runtime.settings import Settings

STATE_DIR_VARIABLE = "DASHLOOM_STATE_DIR"


def recorded_state_dir_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "dashloom" / "state-dir"


def record_state_dir(state_dir: Path) -> None:
    """`dashloom up`: the state folder it runs with, for commands run from other folders."""
    recorded = recorded_state_dir_file()
    recorded.parent.mkdir(parents=True, exist_ok=True)
    recorded.write_text(str(state_dir.resolve()))


def platform_settings() -> Settings:
    """The settings of a command that acts on the platform `dashloom up` runs."""
    settings = Settings()
    if STATE_DIR_VARIABLE in os.environ or settings.state_dir.is_dir():
        return settings
    recorded = recorded_state_dir_file()
    if recorded.is_file() and Path(state_dir := recorded.read_text().strip()).is_dir():
        return Settings(state_dir=Path(state_dir))
    return settings
