"""The Dockerfile, read as text (no Docker engine here): what matters for a safe, working image.

The few shell commands it runs that can run here too (reading the dependencies
from pyproject.toml, compiling the translations, the entry point's syntax) are run.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.deploy import helpers

STAGES = helpers.parse_dockerfile(helpers.DOCKERFILE.read_text())
FINAL = STAGES[-1]
BUILD_STAGES = STAGES[:-1]


def final_runs() -> str:
    return "\n".join(FINAL.all("RUN"))


def test_the_image_is_based_on_python_311_slim():
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", FINAL.base), FINAL.base


def test_npm_ci_runs_in_a_build_stage_and_node_stays_out_of_the_image():
    builders = [s for s in BUILD_STAGES if any("npm ci" in run for run in s.all("RUN"))]
    assert builders, "npm ci should run in a build stage"
    assert builders[0].name, "the assets stage needs a name to copy from"
    assert not re.search(r"\b(npm|nodejs|node)\b", final_runs()), "no Node.js in the final image"
    copies = [c for c in FINAL.all("COPY") if c.startswith(f"--from={builders[0].name} ")]
    assert any("node_modules" in c for c in copies), "the final image needs the node_modules"


def test_the_app_finds_the_assets_where_they_are_copied():
    (copy,) = [c for c in FINAL.all("COPY") if "--from=" in c and "node_modules" in c]
    destination = copy.split()[-1]
    workdir = FINAL.all("WORKDIR")[-1]
    assets = os.path.normpath(os.path.join(workdir, destination))
    assert assets == FINAL.env()["NOBAT_ASSETS"]
    # The ticket printer's Vazirmatn fonts come from the same npm packages.
    fonts = Path(FINAL.env()["NOBAT_FONT_DIR"])
    assert fonts.is_relative_to(assets)
    local = helpers.REPO / "node_modules" / fonts.relative_to(assets)
    assert (local / "Vazirmatn-Regular.ttf").is_file(), "npm ci should install the fonts there"


def test_the_shaping_libraries_and_a_font_are_installed():
    installs = [r for r in FINAL.all("RUN") if "apt-get install" in r]
    assert installs, "the final stage installs Debian packages"
    packages = " ".join(installs).split()
    for package in ("libfribidi0", "libraqm0", "fonts-dejavu-core"):
        assert package in packages, package
    assert all("--no-install-recommends" in r and "/var/lib/apt/lists" in r for r in installs)


def test_it_runs_as_an_unprivileged_user_it_creates():
    users = FINAL.all("USER")
    assert users, "the image should not run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user
    created = re.search(r"useradd\b[^&\n]*?--uid (\d+)[^&\n]*?\s(\w+)$", final_runs(), re.M)
    assert created, "the Dockerfile should create its user"
    assert user in created.groups()
    last_user = max(i for i, x in enumerate(FINAL.instructions) if x.keyword == "USER")
    later = [x.keyword for x in FINAL.instructions[last_user:]]
    assert "RUN" not in later and "COPY" not in later, "everything is installed as root first"


def test_the_instance_folder_belongs_to_that_user():
    instance = FINAL.env()["NOBAT_INSTANCE"]
    assert re.search(rf"install -d -o nobat -g nobat\b[^&]*{re.escape(instance)}", final_runs())
    assert any(instance in v for v in FINAL.all("VOLUME"))


def test_it_serves_on_port_5000_with_a_healthcheck_on_the_health_endpoint():
    assert FINAL.all("EXPOSE") == ["5000"]
    assert FINAL.env()["NOBAT_BIND"] == "0.0.0.0:5000"
    assert FINAL.env()["NOBAT_ENV"] == "production"
    (check,) = FINAL.all("HEALTHCHECK")
    assert "http://127.0.0.1:5000/api/v1/health" in check
    assert "curl" not in check and "wget" not in check, "the slim image has neither"
    command = json.loads(check.split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "healthcheck", "exec")  # valid Python


def test_the_entrypoint_is_the_deploy_script_of_the_copied_tree():
    (entrypoint,) = FINAL.all("ENTRYPOINT")
    assert json.loads(entrypoint) == ["/app/deploy/entrypoint.sh"], "exec form, so signals arrive"
    assert FINAL.all("WORKDIR")[-1] == "/app"
    assert ". ." in FINAL.all("COPY"), "the source tree is copied to /app"
    assert json.loads(FINAL.all("CMD")[-1]) == ["serve"]
    assert os.access(helpers.ENTRYPOINT, os.X_OK)
    done = subprocess.run(["sh", "-n", str(helpers.ENTRYPOINT)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_project_is_installed_in_place_so_its_root_is_found():
    # server.config.REPO_ROOT must be /app: gunicorn.conf.py and the migrations live there.
    assert re.search(r"pip install --no-deps -e \.(\s|$)", final_runs())


def test_the_dependencies_come_from_pyproject(tmp_path):
    (run,) = [r for r in FINAL.all("RUN") if "tomllib" in r]
    command = run.split(">", 1)[0]
    shutil.copy(helpers.REPO / "pyproject.toml", tmp_path)
    done = subprocess.run(
        ["sh", "-c", command],
        cwd=tmp_path,
        env=helpers.process_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = tomllib.loads((helpers.REPO / "pyproject.toml").read_text())["project"]
    assert done.stdout.splitlines() == expected["dependencies"]
    assert "pip install -r /tmp/requirements.txt" in run


def test_the_translations_are_compiled_in_the_image(tmp_path):
    # .mo files are build products (.gitignore, .dockerignore): the image compiles its own.
    (run,) = [r for r in FINAL.all("RUN") if "pybabel compile" in r]
    command = re.search(r"pybabel compile [^&]*", run).group(0).split()
    assert command[-2:] == ["-d", "server/translations"]
    shutil.copytree(helpers.REPO / "server" / "translations", tmp_path / "translations")
    for compiled in (tmp_path / "translations").rglob("*.mo"):
        compiled.unlink()
    pybabel = str(helpers.VENV_BIN / "pybabel")
    done = subprocess.run(
        [pybabel, *command[1:-1], str(tmp_path / "translations")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sources = sorted(p.with_suffix("") for p in (tmp_path / "translations").rglob("*.po"))
    assert sources
    assert sorted(p.with_suffix("") for p in (tmp_path / "translations").rglob("*.mo")) == sources


# --- .dockerignore ----------------------------------------------------------------------------


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves ``path`` out of the build context (last match wins)."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for raw in helpers.DOCKERIGNORE.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/").replace("**/", "")
        if any(
            fnmatch.fnmatchcase(p, pattern) or fnmatch.fnmatchcase(Path(p).name, pattern)
            for p in prefixes
        ):
            result = not negated
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        "node_modules/x/y.js",
        "instance/nobat.sqlite3",
        ".env",
        "tests/conftest.py",
        "docs/x.png",
        "server/__pycache__/app.cpython-311.pyc",
    ],
)
def test_the_build_context_leaves_out(path):
    assert ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "package.json",
        "package-lock.json",
        "gunicorn.conf.py",
        "deploy/entrypoint.sh",
        "deploy/migrate.py",
        "server/wsgi.py",
        "server/migrations/alembic.ini",
        "server/migrations/versions/722956451cb8_initial_schema.py",
        "server/translations/fa/LC_MESSAGES/messages.po",
        "printer_drivers/render.py",
    ],
)
def test_the_build_context_keeps(path):
    assert (helpers.REPO / path).exists(), path
    assert not ignored(path)


def test_the_spoken_calls_clips_are_made_when_the_image_is_built():
    installs = " ".join(r for r in FINAL.all("RUN") if "apt-get install" in r).split()
    assert {"espeak-ng", "sox"} <= set(installs), "the clips are made with espeak-ng and sox"
    assert "display.voice.synth import build; build()" in final_runs()
