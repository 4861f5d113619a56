"""docker-compose.yml: valid Compose, and the topology the scaled deployment needs.

Docker is not needed: the file is checked against the Compose specification's JSON
schema that check-jsonschema ships (offline), and its variables are interpolated
the way Compose does it.
"""

from __future__ import annotations

import copy
import re
import subprocess
from typing import Any

import jsonschema
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from ruamel.yaml import YAML

from tests.deploy import helpers

APP_PORT = 5000
ENV = {
    "NOBAT_SECRET_KEY": "s3cret-key-for-the-test",
    "NOBAT_DB_PASSWORD": "0123abcd",
    "NOBAT_PUBLIC_URL": "https://nobat.example.ir",
}


def load() -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(helpers.COMPOSE.read_text())


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = get_builtin_schema("vendor.compose-spec")
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` applied to every string."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        found = env.get(name)
        missing = found is None or (found == "" and op is not None and op.startswith(":"))
        if op and op.endswith("?") and missing:
            raise LookupError(f"required variable {name} is missing a value: {arg}")
        if op and op.endswith("-") and missing:
            return arg
        return found or ""

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def resolved(compose: dict[str, Any]) -> dict[str, Any]:
    return interpolate(compose, ENV)


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Services running the Nobat image (those that build it)."""
    return {name: s for name, s in compose["services"].items() if "build" in s}


def networks_of(service: dict[str, Any]) -> list[str]:
    networks = service.get("networks", [])
    return list(networks) if isinstance(networks, dict | list) else []


# --- the specification ------------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification(compose):
    assert schema_errors(compose) == []


def test_check_jsonschema_accepts_it_offline():
    done = subprocess.run(
        [
            str(helpers.VENV_BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(helpers.COMPOSE),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "app1", "depends_on", "db", "condition"), "service_ready"),
        (("services", "db", "healthcheck", "interval"), ["5s"]),
        (("services", "nginx", "restart_policy"), "always"),
    ],
    ids=["unknown condition", "wrong type", "unknown key"],
)
def test_the_schema_check_would_catch_a_mistake(compose, path, value):
    broken = copy.deepcopy(compose)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert schema_errors(broken) != []


# --- the topology -----------------------------------------------------------------------------


def test_at_least_two_app_processes_run_the_same_image(compose):
    apps = app_services(compose)
    assert len(apps) >= 2, "the scaled deployment runs several app processes"
    assert len({repr(s["build"]) for s in apps.values()}) == 1
    assert len({s.get("image") for s in apps.values()}) == 1


def test_nginx_waits_for_every_app_and_alone_is_published(compose):
    services = compose["services"]
    depends = services["nginx"]["depends_on"]
    for name in app_services(compose):
        assert depends[name] == {"condition": "service_healthy"}, name
    published = [name for name, s in services.items() if s.get("ports")]
    assert published == ["nginx"], "only the proxy should be reachable from the host"
    assert any(str(p).endswith(":80") for p in services["nginx"]["ports"])


def test_nginx_runs_deploy_nginx_conf(compose):
    mounts = compose["services"]["nginx"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in mounts
    assert helpers.NGINX_CONF.is_file()


def test_nginx_upstream_lists_exactly_the_app_services(compose):
    config = helpers.parse_nginx(helpers.NGINX_CONF.read_text())
    upstream = next(d for d in config.walk() if d.name == "upstream" and d.args == ["nobat"])
    servers = {d.args[0] for d in upstream.children("server")}
    assert servers == {f"{name}:{APP_PORT}" for name in app_services(compose)}


def test_database_and_redis_sit_on_an_internal_network_only(compose):
    networks = compose["networks"]
    for name in ("db", "redis"):
        service = compose["services"][name]
        attached = networks_of(service)
        assert attached, f"{name} should be on an explicit network"
        for network in attached:
            assert (networks.get(network) or {}).get("internal") is True, (name, network)
        assert "ports" not in service and "network_mode" not in service, name
    for name, service in app_services(compose).items():
        assert set(networks_of(compose["services"]["db"])) & set(networks_of(service)), name
    assert not set(networks_of(compose["services"]["nginx"])) & set(
        networks_of(compose["services"]["db"])
    ), "nginx has no business on the database network"


def test_every_service_has_a_healthcheck_and_a_restart_policy(compose):
    for name, service in compose["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), name


def test_the_apps_check_their_health_endpoint_and_wait_for_db_and_redis(compose):
    for name, service in app_services(compose).items():
        check = " ".join(service["healthcheck"]["test"])
        assert f"127.0.0.1:{APP_PORT}/api/v1/health" in check, name
        assert service["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, name


def test_the_database_keeps_its_data_in_a_named_volume(compose):
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "db-data:/var/lib/postgresql/data" in db["volumes"]
    assert "db-data" in compose["volumes"]


def test_redis_answers_ping_for_its_healthcheck(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_the_apps_keep_their_instance_folder_in_a_volume(compose):
    instance = helpers.parse_dockerfile(helpers.DOCKERFILE.read_text())[-1].env()["NOBAT_INSTANCE"]
    for name, service in app_services(compose).items():
        mounts = [v.split(":") for v in service["volumes"]]
        assert any(
            target == instance and source in compose["volumes"] for source, target, *_ in mounts
        ), f"{name} should mount a named volume at {instance}"


# --- the settings once Compose has filled the variables in -------------------------------------


def test_the_secret_key_and_database_password_are_required(compose):
    for missing in ENV:
        env = {k: v for k, v in ENV.items() if k != missing}
        with pytest.raises(LookupError, match=missing):
            interpolate(compose, env)
        with pytest.raises(LookupError, match=missing):
            interpolate(compose, {**env, missing: ""})


def test_the_apps_run_in_production_against_db_and_redis(resolved):
    db_env = resolved["services"]["db"]["environment"]
    for name, service in app_services(resolved).items():
        env = service["environment"]
        assert env["NOBAT_ENV"] == "production", name
        assert env["NOBAT_SECRET_KEY"] == ENV["NOBAT_SECRET_KEY"], name
        assert env["NOBAT_DATABASE_URL"] == (
            f"postgresql+psycopg://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}"
            f"@db:5432/{db_env['POSTGRES_DB']}"
        ), name
        assert env["NOBAT_REDIS_URL"].startswith("redis://redis:6379/"), name
        assert env["NOBAT_BIND"] == f"0.0.0.0:{APP_PORT}", name
    assert db_env["POSTGRES_PASSWORD"] == ENV["NOBAT_DB_PASSWORD"]


def test_the_published_port_defaults_to_8080(resolved):
    assert resolved["services"]["nginx"]["ports"] == ["8080:80"]
