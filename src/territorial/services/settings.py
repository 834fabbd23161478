"""The workspace's settings: `territorial.toml` in the working directory, overridden by TERRITORIAL_*
variables (pydantic-settings), and what follows from them, such as today's date."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from territorial.errors import BadInput
from territorial.services.context import Context

SETTINGS_FILE = "territorial.toml"
PREFIX = "TERRITORIAL_"


class Settings(BaseSettings):
    """Every setting, with its default. A variable beats the file."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, toml_file=SETTINGS_FILE, extra="forbid")

    # Dates (activations, `tick`) are days in this zone, taking effect at 00:00 there.
    time_zone: str = "UTC"
    # The rep (a rep id) who owns an account no rep has (its territory vacant, or none), in a CRM
    # export of the changes; unset, such accounts keep their CRM owner. Unowned.csv lists them.
    vacant_owner: str | None = None

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
