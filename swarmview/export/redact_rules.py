"""Redaction rules: built-in presets and user rules from a TOML file.

A rule matches attribute *keys* by glob (case-insensitive) or string *values* by regular expression,
and either masks (the key's whole value, or each regex match, becomes ``<redacted>``) or drops the
attribute. Dataset URIs are strings too: value rules apply to them (a drop masks the whole URI, since
a source descriptor must keep one).

TOML format::

    [[rule]]
    key = "user.*"          # glob over attribute keys
    action = "drop"         # or "mask" (default)

    [[rule]]
    value = 'corp-[0-9]{6}' # regular expression over string values and dataset URIs
    action = "mask"
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from swarmview.core.errors import SwarmviewError, UsageError

MASK = "<redacted>"
Action = Literal["mask", "drop"]


@dataclass(frozen=True)
class Rule:
    """One rule; exactly one of ``key_glob`` and ``value_regex`` is set."""

    name: str
    action: Action
    key_glob: str | None = None
    value_regex: re.Pattern[str] | None = None
    replacement: str = MASK

    def matches_key(self, key: str) -> bool:
        return self.key_glob is not None and fnmatch.fnmatchcase(key.lower(), self.key_glob.lower())


def _keys(name: str, *globs: str) -> list[Rule]:
    return [Rule(name, "mask", key_glob=g) for g in globs]


def _value(name: str, pattern: str, replacement: str = MASK) -> Rule:
    return Rule(name, "mask", value_regex=re.compile(pattern), replacement=replacement)


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
PRESETS: dict[str, list[Rule]] = {
    "credentials": [
        *_keys("credentials", "*password*", "*passwd*", "*secret*", "*token*", "*api_key*", "*apikey*",
               "*api-key*", "*credential*", "*private_key*", "authorization", "*auth_header*", "*cookie*"),
        _value("credentials", r"(?<=://)[^/?#@\s]+@", MASK + "@"),  # URL userinfo
        _value("credentials", r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]+=*"),
        _value("credentials", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        _value("credentials", r"(?i)(?<=[?&;])(?:token|access_token|api_key|apikey|key|secret|password|sig|signature)=[^&#\s]*"),
        _value("credentials", r"\b(?:ghp|gho|ghs|ghu|glpat|xox[abpr])[-_][A-Za-z0-9_-]{10,}"),
    ],
    "emails": [_value("emails", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")],
    "ips": [
        _value("ips", rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.])"),
        _value("ips", r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])"),
        _value("ips", r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?(?![0-9A-Fa-f:])"),
    ],
    "home-paths": [
        _value("home-paths", r"(?<=/home/)[^/\s\"']+", MASK),
        _value("home-paths", r"(?<=/Users/)[^/\s\"']+", MASK),
        _value("home-paths", r"(?i)(?<=[A-Z]:\\Users\\)[^\\\s\"']+", MASK),
    ],
}


def load_rules(presets: str, rules_file: Path | None) -> tuple[list[Rule], list[str]]:
    """The active rules and the preset names, from ``--redact a,b`` and ``--redact-rules FILE``."""
    names = [p.strip() for p in presets.split(",") if p.strip()]
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise UsageError(f"unknown redaction preset {unknown[0]!r} (choose from {', '.join(PRESETS)})")
    rules = [rule for n in names for rule in PRESETS[n]]
    if rules_file is not None:
        rules += _rules_from_toml(Path(rules_file))
    if not rules:
        raise UsageError("nothing to redact: give --redact PRESETS and/or --redact-rules FILE")
    return rules, names


def _rules_from_toml(path: Path) -> list[Rule]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SwarmviewError(f"{path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    out: list[Rule] = []
    for i, item in enumerate(data.get("rule", []), start=1):
        where = f"{path}: rule {i}"
        if not isinstance(item, dict):
            raise UsageError(f"{where}: must be a table ([[rule]])")
        action = item.get("action", "mask")
        if action not in ("mask", "drop"):
            raise UsageError(f"{where}: action must be \"mask\" or \"drop\", not {action!r}")
        key, value = item.get("key"), item.get("value")
        if (key is None) == (value is None) or not isinstance(key or value, str):
            raise UsageError(f"{where}: give exactly one of key = \"glob\" or value = \"regex\"")
        name = f"rules file rule {i}"
        if key is not None:
            out.append(Rule(name, action, key_glob=key))
        else:
            try:
                out.append(Rule(name, action, value_regex=re.compile(value)))
            except re.error as exc:
                raise UsageError(f"{where}: invalid regular expression: {exc}") from exc
    return out


@dataclass
class Change:
    """What one rule did to one attribute (never the value itself: the report may be shared)."""

    file: str
    line: int | None
    key: str
    action: Action
    rule: str


def redact_attrs(attrs: dict[str, object], rules: list[Rule]) -> tuple[dict[str, object], list[tuple[str, Action, str]]]:
    """Apply the rules to one attribute map; returns the new map and (key, action, rule) per change."""
    out: dict[str, object] = {}
    changes: list[tuple[str, Action, str]] = []
    for key, value in attrs.items():
        new: object = value
        dropped = False
        for rule in rules:
            if rule.key_glob is not None:
                if rule.matches_key(key):
                    if rule.action == "drop":
                        dropped = True
                    elif new != MASK:
                        new = MASK
                    changes.append((key, rule.action, rule.name))
            elif isinstance(new, str) and rule.value_regex is not None and rule.value_regex.search(new):
                if rule.action == "drop":
                    dropped = True
                else:
                    new = rule.value_regex.sub(rule.replacement, new)
                changes.append((key, rule.action, rule.name))
            if dropped:
                break
        if not dropped:
            out[key] = new
    return out, changes


def redact_text(text: str, rules: list[Rule]) -> tuple[str, list[str]]:
    """Apply the value rules to a free string (a dataset URI); a drop masks the whole string."""
    applied: list[str] = []
    for rule in rules:
        if rule.value_regex is None or not rule.value_regex.search(text):
            continue
        new = MASK if rule.action == "drop" else rule.value_regex.sub(rule.replacement, text)
        if new != text:  # an already-redacted "<redacted>@" matches again without changing anything
            applied.append(rule.name)
            text = new
    return text, applied
