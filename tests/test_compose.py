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
