"""The workspace's settings: `territorial.toml` in the working directory, overridden by TERRITORIAL_*
variables (pydantic-settings), and what follows from them, such as today's date."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from territorial.domain.notifications import Digest
from territorial.errors import BadInput
from territorial.services.context import Context

SETTINGS_FILE = "territorial.toml"
PREFIX = "TERRITORIAL_"


class Settings(BaseSettings):
    """Every setting, with its default. A variable beats the file."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, toml_file=SETTINGS_FILE, extra="forbid")

    # Dates (activations, `tick`) are days in this zone, taking effect at 00:00 there.
    time_zone: str = "UTC"
    # `territorial serve`: loopback unless asked, so a first run exposes nothing.
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=8000, ge=1, le=65535)
    serve_workers: int = Field(default=1, ge=1, le=64)
    # The largest file the API takes as an upload (an import), in bytes: a 1,000,000-account CRM
    # export with 40 columns is about 150 MB.
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    # Each open stage's chance of winning, for the weighted pipeline (`kpis`), e.g.
    # {Prospecting = 0.1, Negotiation = 0.6}; stages not listed use the win rate learned by stage.
    stage_probabilities: dict[str, float] | None = None
    # Quarters and fiscal years (2027Q1, FY2027) start in this month; 1 is calendar quarters.
    fiscal_year_start_month: int = 1
    # The web map draws the bundled state and county boundaries on its own; a tile server's URL
    # (https://tile.example.com/{z}/{x}/{y}.png) adds a base map under them, and its attribution.
    map_tile_url: str | None = None
    map_tile_attribution: str | None = None

    @field_validator("map_tile_url")
    @classmethod
    def _tiles(cls, value: str | None) -> str | None:
        if value and not (value.startswith(("https://", "http://")) and "{z}" in value):
            raise ValueError("a tile URL starts with https:// and holds {z}, {x} and {y}")
        return value or None

    @field_validator("stage_probabilities")
    @classmethod
    def _chances(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for stage, chance in (value or {}).items():
            if not 0 <= chance <= 1:
                raise ValueError(f"stage {stage!r}: a chance of winning is 0 to 1, not {chance}")
        return value

    @field_validator("fiscal_year_start_month")
    @classmethod
    def _month(cls, value: int) -> int:
        if not 1 <= value <= 12:
            raise ValueError(f"a month is 1 to 12, not {value}")
        return value

    # Telling reps what changed: how often a rep without a preference of their own is told.
    digest: Digest = Digest.DAILY
    # E-mail goes out through this SMTP server (TERRITORIAL_SMTP_HOST, ...); `notify` needs host and from.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str | None = None
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # Webhook secrets by name (`webhook add --secret NAME`): the workspace keeps the name, never the secret.
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    # Who takes a vacant territory's accounts when it has no `manager` (a rep id, or a CRM queue
    # user); unset, they keep no rep. A CRM export of the changes (`export changes`) writes it as
    # the owner of accounts no rep has, and Unowned.csv lists them.
    vacant_owner: str | None = None
    # Background jobs run in this many threads of the serving process (services.jobs): two, on a
    # 2-core machine, keep the API answering while a long assignment runs.
    job_workers: int = Field(default=2, ge=1, le=32)
    # Seconds between the scheduler's rounds (due activations, expiries, the outbox): a minute is
    # as soon as anyone notices an activation at 00:00 or a digest.
    scheduler_every: float = Field(default=60.0, ge=1.0, le=86400.0)
    # Jobs run by `territorial worker` processes instead of the serving process, their ids carried
    # by this Redis (redis://host:6379/0); unset, the serving process runs them itself.
    redis_url: str | None = None
    # The Redis keys start with this: workspaces sharing one Redis each need their own.
    redis_prefix: str = Field(default="territorial", min_length=1, max_length=100, pattern=r"^[\w.:-]+$")
    # A queued job no worker took for this many seconds is taken from the jobs table: its id never
    # reached Redis, or Redis lost it (a restart: it keeps nothing on disk here).
    queue_lost_after: float = Field(default=30.0, ge=1.0, le=86400.0)

    @field_validator("redis_url")
    @classmethod
    def _a_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"not a Redis URL: {value!r} (expected such as redis://127.0.0.1:6379/0)")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"not a time zone: {value!r} (expected a name such as UTC or Europe/Paris)"
            ) from None
        return value

    @field_validator("smtp_from")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"not an e-mail address: {value!r} (expected such as territory-ops@example.com)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def load_settings() -> Settings:
    """The settings, or one clear message naming the setting and where it came from (exit 2)."""
    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        variable = f"{PREFIX}{name.upper()}"
        where = variable if variable in os.environ else SETTINGS_FILE
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = f"unknown setting {name!r}"
        raise BadInput.at(message, where, subject=name) from None
    except (OSError, ValueError) as err:  # a territorial.toml that is no TOML
        raise BadInput.at(f"cannot read the settings: {err}", str(Path(SETTINGS_FILE))) from None


def today(ctx: Context, settings: Settings) -> date:
    """The context's day in the workspace's time zone (its clock reads this machine's local time)."""
    return ctx.now().astimezone(settings.zone).date()
