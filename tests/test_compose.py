"""The production shape: docker-compose.yml must be a valid compose file (SPEC §6)."""

import shutil
import subprocess

import pytest
from django.conf import settings


def compose_command():
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_production_file():
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here")
    result = subprocess.run([*command, "-f", "docker-compose.yml", "config"], cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for service in ["postgres", "redis", "minio", "migrate", "web", "worker"]:
        assert f"  {service}:" in result.stdout


def test_compose_runs_the_services_and_variables_that_make_test_scale_proves():
    """docker-compose.yml's production shape is what tests/scale starts (PostgreSQL, S3, Redis; web, worker and
    beat processes), configured by the same variables (tests/scale/cluster.py sets each of COMPOSE_VARIABLES;
    the scale suite checks that it does)."""
    from pathlib import Path

    import yaml

    from tests.scale.cluster import COMPOSE_VARIABLES

    compose = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "minio", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("migrate", "web", "worker", "beat"):
        assert set(COMPOSE_VARIABLES) <= set(services[name]["environment"]), name
    environment = services["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["STORAGE_URL"].startswith("s3://atelier?endpoint_url=http://minio:9000")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert services["worker"]["command"][:4] == ["celery", "-A", "studio", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "studio", "beat"]
