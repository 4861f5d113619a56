"""The app factory: configuration, no side effects, and the engine's independence from Flask."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from server.app import create_app
from server.config import Config, TestingConfig

ENGINE = Path(__file__).resolve().parents[2] / "server" / "engine"


def test_testing_config_is_marked_as_testing(tmp_path):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.db"})
    assert app.testing
    assert app.config["SECRET_KEY"] == "testing"


def test_default_config_is_not_testing_and_keeps_a_generated_secret(tmp_path, monkeypatch):
    class Dev(Config):
        INSTANCE = tmp_path
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/dev.db"

    first = create_app(Dev)
    second = create_app(Dev)
    assert not first.testing
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32


def test_an_unknown_async_mode_is_refused_with_the_known_ones(tmp_path):
    overrides = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.db", "ASYNC_MODE": "eventlet"}
    with pytest.raises(RuntimeError, match="threading, gevent"):
        create_app(TestingConfig, overrides)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    class Production(Config):
        INSTANCE = tmp_path
        PRODUCTION = True
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="NOBAT_SECRET_KEY"):
        create_app(Production)


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("SECRET_KEY", "s3cret", "too weak"),
        ("SECRET_KEY", "change-me", "too weak"),
        ("PUBLIC_URL", None, "NOBAT_PUBLIC_URL must be set"),
    ],
)
def test_production_refuses_a_weak_key_and_a_missing_public_address(
    tmp_path, setting, value, complaint
):
    class Production(Config):
        INSTANCE = tmp_path
        PRODUCTION = True
        SECRET_KEY = "k" * 43
        PUBLIC_URL = "https://nobat.example.ir"

    setattr(Production, setting, value)
    with pytest.raises(RuntimeError, match=complaint):
        create_app(Production)


def test_production_refuses_a_chosen_demo_password(tmp_path, monkeypatch):
    class Production(Config):
        INSTANCE = tmp_path
        PRODUCTION = True
        SECRET_KEY = "k" * 43
        PUBLIC_URL = "https://nobat.example.ir"

    monkeypatch.setenv("NOBAT_DEMO_PASSWORD", "demo")
    with pytest.raises(RuntimeError, match="NOBAT_DEMO_PASSWORD"):
        create_app(Production)
    monkeypatch.delenv("NOBAT_DEMO_PASSWORD")
    create_app(Production)


def test_creating_the_app_neither_migrates_nor_touches_the_database(tmp_path):
    database = tmp_path / "untouched.db"
    create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    assert not database.exists()


def test_the_engine_imports_nothing_from_flask_in_its_source():
    for module in ENGINE.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0].startswith("flask")], module.name


def test_importing_the_engine_loads_no_flask_module():
    code = (
        "import sys, server.engine; print(sorted(m for m in sys.modules if m.startswith('flask')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
