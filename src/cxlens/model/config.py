"""One reader for every YAML/TOML config the user writes (cxlens.toml, journey.yaml, mappings, themes.yaml).

Config is data validated by pydantic: `read_config(path, Model)` parses by suffix, validates, and turns
any problem into one ConfigError naming the file, the dotted key (`tables.foo`, `metrics.min_n`) and
what is allowed, so no config problem reaches a person as a traceback or is silently ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from cxlens.errors import ConfigError
from cxlens.model.schema import TABLES

M = TypeVar("M", bound=BaseModel)

DEFAULT_STORE_URL = "duckdb:///cx.duckdb"


def parse_config(text: str, model_class: type[M], where: str, fmt: str = "yaml") -> M:
    """Validate config `text` (YAML or TOML) as `model_class`; `where` names it in errors (a file, "default themes")."""
    if fmt == "toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    else:
        import yaml  # here, not at the top: commands reading only cxlens.toml skip its import (architecture D37)

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    try:
        return model_class.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{where}: {validation_message(exc, model_class)}") from None


def read_config(path: str | Path, model_class: type[M]) -> M:
    """Read and validate a config file as `model_class`: TOML for `.toml`, YAML otherwise.

    Raises ConfigError naming the file and the dotted key path when the file is missing, does not
    parse, or does not validate; the caller gets a model it can trust.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as UTF-8 text: {exc}") from None
    return parse_config(text, model_class, str(path), "toml" if path.suffix.lower() == ".toml" else "yaml")


def validation_message(exc: ValidationError, model_class: type[BaseModel] | None = None) -> str:
    """`key.path: message` for the first problem pydantic found (the one to fix first), with what is allowed."""
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        fields = list(_model_at(model_class, loc[:-1]).model_fields) if _model_at(model_class, loc[:-1]) else []
        msg = "unknown key" + (f"; allowed: {', '.join(fields)}" if fields else "")
    else:
        parent = _model_at(model_class, loc[:-1])
        field = parent.model_fields.get(str(loc[-1])) if parent is not None and loc else None
        if field is not None and field.description:
            msg += f"; expected {field.description}"
    where = ".".join(str(p) for p in loc)
    return f"{where}: {msg}" if where else msg


def _model_at(model: type[BaseModel] | None, loc: tuple) -> type[BaseModel] | None:
    """The nested pydantic model a key path leads to (None when it leads elsewhere)."""
    for part in loc:
        if model is None:
            return None
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        # `Identity | None`: the model inside an optional
        options = [annotation, *get_args(annotation)]
        model = next((a for a in options if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return model


class StoreConfig(BaseModel):
    """`[store]` of cxlens.toml: where the tables live."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(default=DEFAULT_STORE_URL, min_length=1)


class MetricsConfig(BaseModel):
    """`[metrics]` of cxlens.toml: cells with fewer answers than `min_n` are flagged as imprecise."""

    model_config = ConfigDict(extra="forbid", strict=True)

    min_n: int = Field(default=30, ge=1, description="a whole number >= 1")


class ExternalTable(BaseModel):
    """`[tables.NAME]` of cxlens.toml: a canonical table read in place from Parquet or Delta files."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, description="a Parquet file or folder, or a Delta table folder")
    format: Literal["parquet", "delta"] = Field(default="parquet", description="parquet or delta")
    version: int | None = Field(default=None, ge=0, description="a Delta snapshot number >= 0")


# `[tables.NAME]`: NAME must be a canonical table, so a typo is an error, never a view nobody reads.
ExternalTables = create_model(
    "ExternalTables", __config__=ConfigDict(extra="forbid"),
    **{name: (ExternalTable | None, None) for name in TABLES},
)


class PrivacyConfig(BaseModel):
    """`[privacy]` of cxlens.toml: what is pseudonymised and redacted at load, who counts as too few to
    publish, and how long rows are kept (see docs/privacy.md)."""

    model_config = ConfigDict(extra="forbid")

    identifiers: list[str] = Field(
        default_factory=lambda: ["email", "phone", "name", "national_id"],
        description="source or canonical columns replaced at load by a keyed hash (HMAC-SHA-256)")
    key_file: str = Field(default="", description="file holding the pseudonymisation key (0600); empty: the "
                                                 "CXLENS_PSEUDONYM_KEY environment variable, else <workspace>/.cxlens/pseudonym.key")
    allow_raw_identifiers: bool = Field(default=False, description="store identifier columns as they are (not advised)")
    redact_comments: bool = Field(default=True, description="replace e-mails, phones, card numbers, IBANs and national "
                                                            "ids in free text by typed placeholders before storage")
    min_group: int = Field(default=5, ge=1, description="no published figure describes fewer customers than this")
    retention: dict[str, str] = Field(default_factory=dict,
                                      description="table -> how long rows are kept, e.g. {events = \"24 months\"}")


class ValueConfig(BaseModel):
    """`[value]` of cxlens.toml: what the value analyses count in money and how long an answer speaks for
    (see docs/value.md)."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(default="EUR", min_length=1, description="currency of revenue and cost_to_serve, for display")
    upgrade_value: float = Field(default=0.0, ge=0, description="money one upgrade is worth (0: upgrades counted, "
                                                               "not valued)")
    referral_value: float = Field(default=0.0, ge=0, description="money one referral is worth (0: counted, not valued)")
    answer_months: int = Field(default=2, ge=1, le=24, description="months after the answer month that an NPS answer "
                                                                   "describes the customer (their group in survival)")


class IdentityConfig(BaseModel):
    """`[identity]` of cxlens.toml: how records of other sources are linked to customers (see docs/people.md,
    "One customer: identity resolution")."""

    model_config = ConfigDict(extra="forbid")

    phone_region: str = Field(default="", pattern=r"^([A-Za-z]{2})?$",
                              description="ISO 3166 two-letter region of local phone numbers, e.g. GB (empty: local "
                                          "numbers are not normalised)")
    match_probability: float = Field(default=0.95, gt=0, lt=1, description="Fellegi-Sunter match probability above "
                                                                          "which a record links (between 0 and 1)")
    review_probability: float = Field(default=0.5, gt=0, lt=1, description="probability above which a record not "
                                                                          "linked is listed for review (between 0 and 1)")
    columns: dict[str, str] = Field(default_factory=dict, description="customers-file column -> identity kind (email, "
                                                                     "phone, name, postcode, external_id)")

    def model_post_init(self, _: object) -> None:
        if self.review_probability > self.match_probability:
            raise ValueError(f"review_probability {self.review_probability} is above match_probability "
                             f"{self.match_probability}; the review band lies below the match threshold")


class WorkspaceConfig(BaseModel):
    """The whole of cxlens.toml."""

    model_config = ConfigDict(extra="forbid")

    store: StoreConfig = Field(default_factory=StoreConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    value: ValueConfig = Field(default_factory=ValueConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    tables: ExternalTables = Field(default_factory=ExternalTables)  # type: ignore[valid-type]

    def external_tables(self) -> dict[str, dict]:
        """The `[tables.*]` specs as plain dicts, as the store takes them."""
        return {name: spec.model_dump(exclude_none=True)
                for name, spec in self.tables if spec is not None}
