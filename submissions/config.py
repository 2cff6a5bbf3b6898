"""Store settings, read once from `APP_*` environment variables.

- `APP_DATA_DIR` (default `./data`): where the embedded SQLite file, attachments and backups live.
- `APP_DATABASE_URL`: a SQLAlchemy URL; unset means `sqlite:///<APP_DATA_DIR>/review.db`. Larger
  deployments give `postgresql+psycopg://user@host/db` so several app servers share one database.
- `APP_BUSY_TIMEOUT` (seconds, default 15): how long SQLite waits for another writer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS_PER_APPLICATION = 30
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class StoreConfig:
    data_dir: Path
    database_url: str
    busy_timeout: float = 15.0

    @property
    def attachment_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StoreConfig:
        env = os.environ if env is None else env
        data_dir = Path(env.get("APP_DATA_DIR") or "data").resolve()
        url = env.get("APP_DATABASE_URL") or f"sqlite:///{data_dir / 'review.db'}"
        timeout = float(env.get("APP_BUSY_TIMEOUT") or 15.0)
        return cls(data_dir=data_dir, database_url=url, busy_timeout=timeout)

    @classmethod
    def for_directory(cls, data_dir: str | os.PathLike[str], database_url: str | None = None) -> StoreConfig:
        data_dir = Path(data_dir).resolve()
        return cls(data_dir=data_dir, database_url=database_url or f"sqlite:///{data_dir / 'review.db'}")
