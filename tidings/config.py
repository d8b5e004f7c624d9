"""Settings from the environment (``TIDINGS_*``) and an optional TOML file.

The TOML file is ``$TIDINGS_CONFIG`` or ``./tidings.toml`` when present; the
environment wins over the file.  Everything has a default that runs the whole
platform embedded: SQLite under ``./var``, in-process workers, the sandbox carrier.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def _toml_path() -> Path | None:
    explicit = os.environ.get("TIDINGS_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("tidings.toml")
    return local if local.exists() else None


def usable_cores() -> int:
    """The cores this process may run on (its affinity, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDINGS_", extra="ignore")

    data_dir: Path = Path("var")
    # Empty means sqlite+aiosqlite under data_dir.
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # What the outside world calls us; printed in the banner and used for links.
    public_url: str = ""

    # Run dispatch/callback workers inside `tidings serve`.
    run_workers: bool = True
    # How many processes `tidings serve` runs: 1 is everything in one process;
    # 2 or more is the API in one and the background work in the others, under
    # a supervisor (docs/architecture.md "Processes").  0: from the core count.
    processes: int = Field(default=0, ge=0, le=64)
    # Seed an operator and a demo tenant on first start.
    bootstrap_demo: bool = True

    # Authentication
    sdk_date_skew_seconds: int = 15 * 60
    token_ttl_seconds: int = 24 * 3600
    # How long a process trusts a key or token lookup: a revocation made by
    # another process (the CLI, another API process) takes effect this late.
    key_cache_seconds: float = Field(default=5.0, ge=0)

    # Default per-tenant limits; a tenant's own settings override them.  They are
    # high on purpose: the anchors cap messages at 1,000/s, we let the operator choose.
    rate_requests_per_second: float = 2000.0
    rate_messages_per_second: float = 100_000.0

    # The virtual phone pages (/phone/...): unset means on only when `host` is a
    # loopback address (docs/virtual-phone.md).
    phone_pages: bool | None = None

    # Callback URLs on private/loopback/link-local addresses are refused unless allowed.
    allow_private_callbacks: bool = False

    # Upload limit per file (the gateway's own request limit is 12 MB).
    max_upload_bytes: int = 5 * 1024 * 1024

    # Smart-message materials: space per tenant (recycle bin included; a tenant's
    # settings["aim_material_quota_bytes"] overrides it), days unused before the
    # sweeper deletes a material, and how long fetching a file_url may take.
    aim_material_quota_bytes: int = 10 * 1024**3
    aim_material_idle_days: int = 30
    aim_fetch_timeout_seconds: float = 10.0
    # file_url on private/loopback addresses are refused unless allowed (tests, labs).
    allow_private_material_urls: bool = False

    log_level: str = "info"
    # One INFO line per HTTP request (method, path, status, duration, request id, tenant).
    access_log: bool = True

    extra: dict = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _toml_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tidings.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    def process_count(self, cores: int | None = None) -> int:
        """The processes ``tidings serve`` runs (``processes``, or from the
        core count): the API in one, the background work in the rest.  SQLite
        has one writer, so more than one worker process does not pay there;
        PostgreSQL takes a worker per further core (at most 8 in all)."""
        wanted = self.processes or min(cores if cores is not None else usable_cores(), 8)
        return min(wanted, 2) if self.is_sqlite else max(1, wanted)

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
