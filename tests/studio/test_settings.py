"""Settings come from the environment; production refuses to start half-configured (SPEC §1)."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from studio.settings import read_env_file, storage_backend

PRODUCTION_ENV = {
    "ATELIER_ENV_FILE": "/nonexistent/.env",
    "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "atelier.example.com",
    "PATH": "/usr/bin:/bin",
}


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=django_settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start_and_says_why():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is not set" in result.stderr


def test_a_bad_boolean_names_the_variable():
    result = manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert "DEBUG must be a boolean" in result.stderr


def test_env_file_is_parsed_and_a_bad_line_is_reported(tmp_path):
    good = tmp_path / "good.env"
    good.write_text("# comment\nDEBUG=1\nSECRET_KEY='abc'\n\n")
    assert read_env_file(good) == {"DEBUG": "1", "SECRET_KEY": "abc"}
    bad = tmp_path / "bad.env"
    bad.write_text("DEBUG\n")
    with pytest.raises(ImproperlyConfigured, match=r"bad.env:1: expected KEY=VALUE"):
        read_env_file(bad)


def test_storage_url_maps_to_local_files_or_s3():
    assert storage_backend("file:///srv/atelier")["OPTIONS"] == {"location": "/srv/atelier"}
    s3 = storage_backend("s3://atelier?endpoint_url=http://minio:9000")
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "atelier"
    assert s3["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert s3["OPTIONS"]["file_overwrite"] is False  # users' files: a taken name is never overwritten
    with pytest.raises(ImproperlyConfigured, match="STORAGE_URL must start with file:// or s3://"):
        storage_backend("ftp://nope")


def test_the_scratch_storage_is_the_same_place_overwriting():
    files = storage_backend("file:///srv/atelier", overwrite=True)
    assert files["OPTIONS"] == {"location": "/srv/atelier", "allow_overwrite": True}
    s3 = storage_backend("s3://atelier?endpoint_url=http://minio:9000", overwrite=True)
    assert s3["BACKEND"] == "studio.scratch_s3.ScratchS3Storage"
    assert s3["OPTIONS"] == {"bucket_name": "atelier", "file_overwrite": True, "endpoint_url": "http://minio:9000"}


def test_limits_have_the_documented_defaults():
    assert django_settings.ATELIER_MAX_REQUEST_BYTES == 4 * 1024 * 1024
    assert django_settings.ATELIER_MAX_ROWS_PER_REQUEST == 1000
    assert django_settings.ATELIER_MAX_COLUMNS == 4096
    assert django_settings.ATELIER_ALLOW_PYTHON_SCRIPT is False


@pytest.mark.django_db
def test_pages_carry_the_security_headers(owner_client):
    """The canvas and the other pages: a CSP that allows only the studio's own scripts (the e2e tests fail on
    any violation), no framing, no sniffing; the admin keeps its own scripts (the API docs no longer do)."""
    for url in ("/", "/experiments/new/", "/web-services/", "/datasets/", "/login/", "/api/docs/"):
        response = owner_client.get(url, follow=True)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self';" in policy and "'unsafe-eval'" not in policy and "frame-ancestors 'none'" in policy
        assert "style-src 'self';" in policy and "'unsafe-inline'" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def probe(*expressions):
    return f"from django.conf import settings; print({', '.join('settings.' + e for e in expressions)})"


def development_env_file(tmp_path):
    """The .env `make setup` writes in a checkout."""
    path = tmp_path / ".env"
    path.write_text("DEBUG=1\nSECRET_KEY=development-secret-key-from-the-checkout-0123456789abcdef\n"
                    "ALLOWED_HOSTS=localhost,127.0.0.1,[::1]\nATELIER_TLS=0\n")
    return path


def test_production_in_a_set_up_checkout_does_not_read_the_development_env_file_and_says_so(tmp_path):
    """Issue 14, finding 10: under DEBUG=0 the checkout's .env gave production ATELIER_TLS=0 (and its
    development SECRET_KEY) without a word."""
    env = {**PRODUCTION_ENV, "ATELIER_ENV_FILE": str(development_env_file(tmp_path)), "DEBUG": "0"}
    result = manage("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    assert "studio.W001" in output and "ATELIER_TLS, DEBUG, SECRET_KEY" in output, output
    assert "security.W008" not in output and "security.W004" not in output, output  # TLS stayed on
    shown = manage("shell", "-v", "0", "-c", probe("SECURE_SSL_REDIRECT", "SECRET_KEY[:11]"), env=env)
    assert shown.stdout.split() == ["True", "xxxxxxxxxxx"], shown.stdout + shown.stderr

    without_secret = {key: value for key, value in env.items() if key != "SECRET_KEY"}
    refused = manage("check", env=without_secret)
    assert refused.returncode != 0
    assert "SECRET_KEY is not set (" in refused.stderr and "is not read: DEBUG is off" in refused.stderr


def test_the_development_env_file_still_sets_up_a_checkout(tmp_path):
    env = {"ATELIER_ENV_FILE": str(development_env_file(tmp_path)), "PATH": "/usr/bin:/bin"}
    shown = manage("shell", "-v", "0", "-c", probe("DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY[:11]"), env=env)
    assert shown.stdout.split() == ["True", "False", "development"], shown.stdout + shown.stderr
    assert "studio.W001" not in manage("check", env=env).stderr
