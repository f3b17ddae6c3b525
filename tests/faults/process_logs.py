"""Reading the logs the fault tests' real processes wrote (gunicorn, the panel worker,
PostgreSQL): no secret may be in any of them, and their records can be counted.

``assert_no_secret_in`` is the multi-process half of ``tests/security/
test_no_secrets_in_logs.py`` (which captures one process's log handlers): a plain
substring search of every byte the processes wrote, through whatever handler, formatter
or library wrote it, so nothing that bypasses the panel's ``MaskSecrets`` filter escapes.

``records`` splits a log into records: a record starts with one of the headers the
processes write (the panel's ``settings.LOGGING`` format, Huey's own handler's, and
gunicorn's) and runs on over the lines that follow it (a traceback, or a database error
message that holds a newline).
"""

import re
import secrets as random_secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SHORTEST_SECRET = 16  # a shorter string could turn up by chance


def new_secret(prefix: str) -> str:
    """A secret of this run's own (a password, a provider's key), unlike any other text."""
    return f"{prefix}-{random_secrets.token_urlsafe(18)}"


def assert_no_secret_in(logs: Iterable[Path], secrets: Mapping[str, str]) -> None:
    """No value of ``secrets`` (name -> secret) occurs anywhere in any of ``logs``, each
    of which must have been written (it may be empty: a quiet run logs nothing)."""
    logs = list(logs)
    assert logs, "no log to search"
    for name, secret in secrets.items():
        assert len(secret) >= SHORTEST_SECRET, f"the {name} is too short to search for"
    found = []
    for path in logs:
        assert path.is_file(), f"{path} was not written"
        text = path.read_text(errors="replace")
        for name, secret in secrets.items():
            for number, line in enumerate(text.splitlines(), 1):
                if secret in line:
                    found.append(f"the {name} in {path.name} line {number}: {line[:300]!r}")
    assert not found, "secrets in the processes' logs:\n" + "\n".join(found)


_STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
_LEVEL = r"DEBUG|INFO|WARNING|ERROR|CRITICAL"
_HEADERS = (
    # settings.LOGGING: "%(asctime)s %(levelname)s %(name)s %(message)s"
    re.compile(rf"(?P<at>{_STAMP},\d{{3}}) (?P<level>{_LEVEL}) (?P<logger>\S+) (?P<text>.*)"),
    # Huey's consumer adds a handler of its own: "[asctime] LEVEL:name:thread:message"
    re.compile(
        rf"\[(?P<at>{_STAMP},\d{{3}})\] (?P<level>{_LEVEL}):(?P<logger>[^:]+):[^:]*:"
        r"(?P<text>.*)"
    ),
    # gunicorn's own lines: "[2025-01-01 12:00:00 +0000] [pid] [LEVEL] message"
    re.compile(rf"\[(?P<at>{_STAMP}) [+-]\d{{4}}\] \[\d+\] \[(?P<level>{_LEVEL})\] (?P<text>.*)"),
)


@dataclass
class Record:
    """One log record: when (seconds since the epoch, as ``time.time()``), its level, its
    logger ("gunicorn" for gunicorn's own lines) and its text with every line that
    followed it. (Huey's handler and the panel's both write Huey's records: twice each.)"""

    at: float
    level: str
    logger: str
    text: str

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def _epoch(stamp: str) -> float:
    if "," in stamp:  # asctime: local time, milliseconds after a comma
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z").timestamp()


def records(path: Path) -> list[Record]:
    """The records of a log, in order; lines before the first header are left out."""
    found: list[Record] = []
    for line in path.read_text(errors="replace").splitlines():
        for header in _HEADERS:
            if match := header.fullmatch(line):
                logger = match.groupdict().get("logger") or "gunicorn"
                found.append(Record(_epoch(match["at"]), match["level"], logger, match["text"]))
                break
        else:
            if found:
                found[-1].text += "\n" + line
    return found
