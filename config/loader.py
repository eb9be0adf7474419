"""Finding and reading the YAML configuration: discovery order, ${ENV} interpolation, errors with lines."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.kinds import KINDS
from config.settings import SECRET_PREFIX, Settings

CONFIG_ENV = "LEDGERBRIDGE_CONFIG"
DATABASE_URL_ENV = "LEDGERBRIDGE_DATABASE_URL"
DEFAULT_CONFIG = "ledgerbridge.yaml"

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A configuration file larger than this is refused (a real one is a few kilobytes)."""
MAX_DEPTH = 64
"""Mappings and lists nested deeper than this are refused (a 100,000-deep file crashed the parser)."""
MAX_ALIASES = 1_000
"""YAML aliases (`*name`) allowed in one file."""
MAX_NODES = 200_000
"""Values the file may expand to once aliases are followed (a "billion laughs" file expands to 10^9)."""

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

Location = tuple[str | int, ...]


class ConfigError(Exception):
    """A configuration problem, said in one line that names the key and where it is; `problems` holds
    every problem found (one line each), the message only the first."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems if problems is not None else [message]


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    path: Path


def find_config(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path:
    """--config PATH, else $LEDGERBRIDGE_CONFIG, else ./ledgerbridge.yaml."""
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return Path(DEFAULT_CONFIG)


def load_config(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Read, interpolate and validate the configuration file; raise ConfigError with file:line."""
    env = os.environ if environ is None else environ
    path = find_config(explicit, env)
    if not path.exists():
        hint = "run `ledgerbridge init` to write a starter config, or pass --config PATH"
        raise ConfigError(f"{path}: configuration file not found ({hint})")
    try:
        if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: the configuration file is larger than {MAX_CONFIG_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc}") from exc
    return LoadedConfig(settings=parse_config(text, str(path), env), path=path)


def parse_config(text: str, where: str, environ: Mapping[str, str]) -> Settings:
    """Parse configuration text (`where` names it in messages). Hostile YAML is refused in one line:
    too large, too deep, too many aliases or expanding to too much, or a tag other than YAML's own
    (`!!python/name:...`): only plain mappings, lists and scalars make a configuration."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where}: the configuration is larger than {MAX_CONFIG_BYTES:,} bytes")
    try:
        _check_shape(text, where)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc, where)) from exc
    except RecursionError as exc:  # pragma: no cover - _check_shape refuses the depth first
        raise ConfigError(f"{where}: the configuration is nested too deeply") from exc
    lines: dict[Location, int] = {}
    budget = [MAX_NODES]
    data = {} if node is None else _build(node, (), lines, where, environ, budget=budget)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}:1: the configuration must be a mapping of keys to values")
    if environ.get(DATABASE_URL_ENV):
        data["database_url"] = environ[DATABASE_URL_ENV]
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = _describe_all(exc, data, lines, where)
    else:
        problems = _reference_problems(settings, data, lines, where)
        if not problems:
            return settings
    more = len(problems) - 1
    see_all = "run `ledgerbridge config check` to see them all"
    suffix = f" (and {more} more problem{'s' if more > 1 else ''}: {see_all})" if more else ""
    raise ConfigError(problems[0] + suffix, problems)


def resolve_secret(value: str, lookup: Callable[[str], str | None]) -> str:
    """A credential value as given, or the decrypted secret it names (`secret:NAME`)."""
    if not value.startswith(SECRET_PREFIX):
        return value
    name = value[len(SECRET_PREFIX) :]
    secret = lookup(name)
    if secret is None:
        raise ConfigError(f"secret {name!r} is not set: store it with `ledgerbridge secret set {name}`")
    return secret


# ----------------------------------------------------------------------------- internals


def _yaml_problem(exc: yaml.YAMLError, where: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    return f"{where}{line}: not valid YAML: {problem}"


_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
)


def _check_shape(text: str, where: str) -> None:
    """Walk the YAML events (no recursion, nothing built): refuse depth beyond MAX_DEPTH, more than
    MAX_ALIASES aliases, and any tag that is not one of YAML's own."""
    depth = 0
    aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in _PLAIN_TAGS:
            raise ConfigError(f"{where}:{line}: the YAML tag {tag!r} is not allowed in a configuration")
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{where}:{line}: nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ConfigError(f"{where}:{line}: more than {MAX_ALIASES} YAML aliases")


def _build(
    node: yaml.Node,
    loc: Location,
    lines: dict[Location, int],
    where: str,
    environ: Mapping[str, str],
    *,
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(
            f"{where}:{node.start_mark.line + 1}: the configuration expands to more than {MAX_NODES:,}"
            " values (YAML aliases repeated within aliases?)"
        )
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            try:
                key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else key_node.value
            except yaml.YAMLError as exc:
                raise ConfigError(_yaml_problem(exc, where)) from exc
            if not isinstance(key, str):
                raise ConfigError(f"{where}:{key_node.start_mark.line + 1}: key {key!r} must be a string")
            if key in result:
                raise ConfigError(f"{where}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
            lines[(*loc, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*loc, key), lines, where, environ, budget=budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*loc, i), lines, where, environ, budget=budget) for i, item in enumerate(node.value)
        ]
    try:
        value = _scalar(node)
    except yaml.YAMLError as exc:  # a scalar that does not construct (a bad !!timestamp, !!int...)
        raise ConfigError(_yaml_problem(exc, where)) from exc
    if isinstance(value, str):
        return _interpolate(value, node.start_mark.line + 1, where, environ)
    return value


def _scalar(node: yaml.Node) -> Any:
    """A scalar's value as yaml.safe_load reads it (a fresh constructor: nothing is kept between calls)."""
    return yaml.constructor.SafeConstructor().construct_object(node)


def _interpolate(value: str, line: int, where: str, environ: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "$"
        if name not in environ:
            raise ConfigError(f"{where}:{line}: environment variable {name} is not set (used as ${{{name}}})")
        return environ[name]

    return _VAR.sub(replace, value)


def _describe_all(exc: ValidationError, data: Any, lines: Mapping[Location, int], where: str) -> list[str]:
    return [_describe_one(error, data, lines, where) for error in exc.errors()]


def _describe_one(error: Any, data: Any, lines: Mapping[Location, int], where: str) -> str:
    loc = _clean_loc(error["loc"], data)
    line = _nearest_line(loc, lines)
    dotted = _dotted(loc, data)
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
    elif error["type"] == "missing":
        message = f"missing required key {loc[-1]!r}" if loc else "a required key is missing"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        if (
            "input" in error
            and not isinstance(error["input"], dict | list)
            and repr(error["input"]) not in message
        ):
            message += f" (got {error['input']!r})"
    return f"{where}:{line}: {dotted}: {message}" if dotted else f"{where}:{line}: {message}"


def _reference_problems(
    settings: Settings, data: Any, lines: Mapping[Location, int], where: str
) -> list[str]:
    """Every connector name the reconcile section refers to (rule sides, audit scopes, `after:`) must be
    a configured connector — checked only when `connectors:` is non-empty: a config without connectors
    reconciles documents another tool stored, under whatever source names it used."""
    known = [connector.name for connector in settings.connectors]
    if not known:
        return []
    references: list[tuple[Location, str]] = []
    reconcile = settings.reconcile
    for i, rule in enumerate(reconcile.rules):
        base: Location = ("reconcile", "rules", i)
        for side_name in ("left", "right", "invoices", "payments", "credit_notes", "bank"):
            if side_name not in type(rule).model_fields:  # a collections rule's left/right name its sides
                continue
            side = getattr(rule, side_name, None)
            if side is not None:
                references.append(((*base, side_name, "source"), side.source))
        references.extend(((*base, "after", k), name) for k, name in enumerate(rule.after))
    for i, plan in enumerate(reconcile.audits):
        base = ("reconcile", "audits", i)
        references.extend(((*base, "scope", j, "source"), scope.source) for j, scope in enumerate(plan.scope))
        references.extend(((*base, "after", k), name) for k, name in enumerate(plan.after))
    problems = []
    for loc, name in references:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"no connector named {name!r} (configured: {', '.join(known)}){hint}"
        problems.append(f"{where}:{_nearest_line(loc, lines)}: {_dotted(loc, data)}: {message}")
    return problems


def _clean_loc(loc: tuple[int | str, ...], data: Any) -> Location:
    """Drop pydantic's union/discriminator tags (e.g. 'zoho_crm') that are not keys of the document."""
    cleaned: list[str | int] = []
    current = data
    for part in loc:
        child = _child(current, part)
        if child is not _MISSING:
            cleaned.append(part)
            current = child
        elif isinstance(part, str) and (not isinstance(current, dict | list) or _is_tag(part)):
            continue
        else:
            cleaned.append(part)
            current = None
    return tuple(cleaned)


_MISSING = object()


def _child(container: Any, part: str | int) -> Any:
    if isinstance(container, dict) and part in container:
        return container[part]
    if isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container):
        return container[part]
    return _MISSING


def _is_tag(part: str) -> bool:
    return part in KINDS or part.startswith(("function-", "tagged-"))


def _nearest_line(loc: Location, lines: Mapping[Location, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: Location, data: Any) -> str:
    parts: list[str] = []
    current = data
    for part in loc:
        child = _child(current, part)
        if isinstance(part, int):
            name = child.get("name") if isinstance(child, dict) else None
            parts.append(f"[{name}]" if name else f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
        current = None if child is _MISSING else child
    return "".join(parts)
