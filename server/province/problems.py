"""What is wrong with a province file: each problem with its file, line and subject.

Messages are English templates with ``%(name)s`` fields, marked with ``N_`` as the
engine's are, so the CLI prints them as they are and the API translates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from server.engine.errors import N_


@dataclass(frozen=True, order=True)
class Where:
    """A place in the files read: ``services.csv:14``."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


#: The things a problem can be about, as the message names them.
SUBJECTS = {
    "office": N_('office "%(office)s"'),
    "service": N_('service "%(office)s/%(service)s"'),
    "counter": N_('counter "%(office)s/%(counter)s"'),
    "user": N_('user "%(user)s"'),
}


@dataclass(frozen=True)
class Subject:
    """An office, service, counter or user, named by its key in the file."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str]) -> str:
        return translate(SUBJECTS[self.kind]) % self.params


def office(code: str | None) -> Subject | None:
    return Subject("office", {"office": code}) if code else None


def service(office_code: str | None, code: str | None) -> Subject | None:
    return Subject("service", {"office": office_code, "service": code}) if code else None


def counter(office_code: str | None, number: int | str | None) -> Subject | None:
    if number is None:
        return None
    return Subject("counter", {"office": office_code, "counter": number})


def user(name: str | None) -> Subject | None:
    return Subject("user", {"user": name}) if name else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is, and about what."""

    where: Where
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    subject: Subject | None = None

    def message(self, translate: Callable[[str], str] = str) -> str:
        """The message without its place, in the language of ``translate`` (gettext)."""
        text = translate(self.template) % self.params if self.params else translate(self.template)
        if self.subject is None:
            return text
        return f"{self.subject.render(translate)}: {text}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message()}"


class ProvinceInvalid(Exception):
    """The files cannot be imported; ``problems`` says every reason, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Problems gathered while reading, in the order files were read."""

    def __init__(self) -> None:
        self.found: list[Problem] = []
        self._files: dict[str, int] = {}

    def add(
        self, where: Where, template: str, subject: Subject | None = None, **params: Any
    ) -> None:
        self._files.setdefault(where.file, len(self._files))
        self.found.append(Problem(where, template, params, subject))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self._files.setdefault(problem.where.file, len(self._files))
            self.found.append(problem)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        """Raise ``ProvinceInvalid`` with every problem, files in the order read, if any."""
        if self.found:
            order = self._files
            raise ProvinceInvalid(
                sorted(self.found, key=lambda p: (order[p.where.file], p.where.line))
            )
