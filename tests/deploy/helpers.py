"""Shared by the deployment tests: paths, the nginx config for loopback, processes, waiting."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from harness import services

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
NGINX_CONF = DEPLOY / "nginx.conf"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
MIGRATE = DEPLOY / "migrate.py"
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
#: The virtual environment running the tests: python, gunicorn and nobat come from here.
VENV_BIN = Path(sys.executable).parent


# --- requirements -----------------------------------------------------------------------------


def skip_or_fail(reason: str) -> None:
    """Skip, or fail when the services are required (CI), like ``harness.services.check``."""
    if services.REQUIRED:
        pytest.fail(f"{reason} (NOBAT_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def require_services(*, postgres: bool = False, redis: bool = False) -> None:
    """For module-scoped fixtures, which run before the per-test service check."""
    for wanted, problem in ((postgres, services.postgres_problem), (redis, services.redis_problem)):
        if wanted and (reason := problem()):
            skip_or_fail(reason)


def nginx_binary() -> str:
    """nginx from Debian (scripts/system-deps.sh installs it), else skip (fail in CI)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        skip_or_fail("nginx is not installed (scripts/system-deps.sh installs it)")
    return str(found)


# --- small things -----------------------------------------------------------------------------


def process_env(**values: str) -> dict[str, str]:
    """This environment with the venv first on PATH and no inherited NOBAT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOBAT_", "FLASK_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env.update(values)
    return env


# --- processes --------------------------------------------------------------------------------


@dataclass
class Process:
    """A process in its own session, its output in a file; ``stop`` ends it and its children."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path = REPO
    popen: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> Process:
        self._out = self.log.open("wb")
        self.popen = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} did not finish within {timeout:g} s:\n{self.output()}"
            ) from None

    def stop(self, timeout: float = 10, *, crash: bool = False) -> None:
        """SIGTERM to the process group it leads, SIGKILL if it lingers (at once if ``crash``)."""
        signals = (
            [(signal.SIGKILL, 5)] if crash else [(signal.SIGTERM, timeout), (signal.SIGKILL, 5)]
        )
        if self.popen is not None:
            for sig, wait in signals:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, sig)
                try:
                    self.popen.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._out is not None:
            self._out.close()
            self._out = None


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run a command to completion; its stdout, or a failure showing all it printed."""
    done = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    return done.stdout


# --- nginx ------------------------------------------------------------------------------------


def render_nginx_conf(
    folder: Path,
    listen_port: int,
    upstream_ports: list[int],
    *,
    sticky: bool = True,
    workers: int | None = None,
) -> Path:
    """deploy/nginx.conf for an nginx run by this user on loopback, with its files in ``folder``.

    Only the environment changes: the ``listen`` line, the upstream ``server`` lines (their
    parameters kept), and the places nginx writes (pid, temporary files); with
    ``sticky=False`` the ``ip_hash`` line goes, to show what it is for.
    """
    text = NGINX_CONF.read_text()
    servers = re.findall(r"^([ \t]*)server app\d+:5000\b([^;\n]*);\n", text, re.MULTILINE)
    assert len(servers) >= 2, "deploy/nginx.conf should name at least two app servers"
    indent, parameters = servers[0]
    loopback = "".join(f"{indent}server 127.0.0.1:{port}{parameters};\n" for port in upstream_ports)
    text, count = re.subn(
        r"(^[ \t]*server app\d+:5000\b[^;\n]*;\n)+", lambda _: loopback, text, flags=re.M
    )
    assert count == 1, "the upstream servers should be listed together"
    text, count = re.subn(
        r"^([ \t]*)listen 80;$", rf"\g<1>listen 127.0.0.1:{listen_port};", text, flags=re.M
    )
    assert count == 1, "deploy/nginx.conf should listen on port 80 once"
    if not sticky:
        text, count = re.subn(r"^[ \t]*ip_hash;\n", "", text, flags=re.MULTILINE)
        assert count == 1
    if workers is not None:
        text, count = re.subn(
            r"^worker_processes \w+;$", f"worker_processes {workers};", text, flags=re.M
        )
        assert count == 1

    folder.mkdir(parents=True, exist_ok=True)
    main = [f"daemon off;\npid {folder / 'nginx.pid'};\n"]
    if os.geteuid() == 0:  # else nginx would hand its workers to "nobody", locked out of folder
        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        main.append(f"user {user} {group};\n")
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text, count = re.subn(r"^http \{\n", lambda m: m.group(0) + temp, text, flags=re.MULTILINE)
    assert count == 1
    path = folder / "nginx.conf"
    path.write_text("".join(main) + text)
    return path


def nginx_args(binary: str, conf: Path) -> list[str]:
    """nginx on ``conf`` with its prefix and start-up error log in the config's folder."""
    folder = conf.parent
    return [binary, "-p", f"{folder}/", "-e", str(folder / "error.log"), "-c", str(conf)]


@dataclass
class Directive:
    """One directive of an nginx config, with its block if it has one."""

    name: str
    args: list[str]
    block: list[Directive] | None = None

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def child(self, name: str) -> Directive:
        found = self.children(name)
        assert len(found) == 1, f"expected one {name!r} in {self.name} {self.args}, got {found}"
        return found[0]

    def walk(self) -> Iterator[Directive]:
        for directive in self.block or []:
            yield directive
            yield from directive.walk()


def _nginx_tokens(text: str) -> Iterator[str]:
    token_re = re.compile(
        r"""\s+|\#[^\n]*|(?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<punct>[{};])"""
        r"""|(?P<word>[^\s{};"'#]+)""",
        re.DOTALL,
    )
    position = 0
    while position < len(text):
        match = token_re.match(text, position)
        assert match, f"cannot read the nginx config at {text[position : position + 40]!r}"
        position = match.end()
        if match.group("quoted"):
            yield "\0" + match.group("quoted")[1:-1]  # marked: a quoted word is never punctuation
        elif match.group("punct") or match.group("word"):
            yield match.group(0)


def parse_nginx(text: str) -> Directive:
    """The config as a tree of directives (enough of nginx's syntax for our own file)."""
    root = Directive("main", [], [])
    stack = [root]
    words: list[str] = []
    for token in _nginx_tokens(text):
        if token in (";", "{"):
            assert words, f"a lone {token!r} in the nginx config"
            directive = Directive(words[0].lstrip("\0"), [w.lstrip("\0") for w in words[1:]])
            stack[-1].block.append(directive)  # type: ignore[union-attr]
            if token == "{":
                directive.block = []
                stack.append(directive)
            words = []
        elif token == "}":
            assert not words and len(stack) > 1, "unbalanced braces in the nginx config"
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "the nginx config ends inside a block or directive"
    return root


def nginx_seconds(value: str) -> float:
    """An nginx time such as ``75s``, ``1h`` or ``60`` in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value)
    assert match, f"not an nginx time: {value}"
    return int(match.group(1)) * units[match.group(2) or "s"]


# --- Dockerfile -------------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    """One ``FROM`` and what follows it."""

    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            values.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
        return values


def parse_dockerfile(text: str) -> list[Stage]:
    """Instructions by stage: continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "the Dockerfile ends in a continued line"
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name, []))
        else:
            assert stages, f"{instruction.keyword} before any FROM"
            stages[-1].instructions.append(instruction)
    return stages
