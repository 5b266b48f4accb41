"""Studio API tokens (issue 14, finding 4): the database holds only each key's SHA-256; the key is shown once
and authenticates `Authorization: Token <key>`; DRF tokens made before are hashed and keep working."""

from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from rest_framework.test import APIClient

from studio.models import ApiToken

pytestmark = pytest.mark.django_db


def workspaces_with(key: str) -> int:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/workspaces/").status_code


def stored_values() -> list[str]:
    """Every value of every row of every table, as the database holds it (wherever a key might be kept)."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute("SELECT * FROM " + connection.ops.quote_name(table))  # noqa: S608 (a table's own name)
            values += [str(value) for row in cursor.fetchall() for value in row]
    return values


def test_drf_create_token_prints_a_key_that_authenticates_and_the_table_holds_only_its_hash(owner):
    out = io.StringIO()
    call_command("drf_create_token", owner.username, stdout=out)
    printed = out.getvalue().split()
    assert printed[:2] == ["Generated", "token"] and printed[3:] == ["for", "user", owner.username]
    key = printed[2]  # README: TOKEN=$(manage.py drf_create_token admin | awk '{print $3}')
    assert len(key) == 40
    assert workspaces_with(key) == 200
    values = stored_values()
    assert not any(key[8:] in value for value in values), "the key is stored in the clear"
    assert hashlib.sha256(key.encode()).hexdigest() in values
    assert workspaces_with(hashlib.sha256(key.encode()).hexdigest()) == 401  # the stored value opens nothing


def test_each_call_makes_a_new_token_and_reset_revokes_the_others(owner):
    keys = []
    for options in ({}, {}, {"reset": True}):
        out = io.StringIO()
        call_command("drf_create_token", owner.username, stdout=out, **options)
        keys.append(out.getvalue().split()[2])
    assert len(set(keys)) == 3
    assert [workspaces_with(key) for key in keys] == [401, 401, 200]


def test_drf_create_token_for_an_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="Cannot create the Token: user nobody-here does not exist"):
        call_command("drf_create_token", "nobody-here")


def test_a_token_made_in_the_admin_shows_its_key_once(admin_client, owner):
    response = admin_client.post("/admin/studio/apitoken/add/", {"user": owner.user.pk}, follow=True)
    [message] = [str(m) for m in response.context["messages"] if "key" in str(m)]
    key = message.split("The new token's key is ")[1].split()[0]
    assert workspaces_with(key) == 200
    assert not any(key in value for value in stored_values())


def test_existing_drf_tokens_are_hashed_by_the_migration_and_keep_working(owner):
    """A studio set up before keeps DRF's authtoken table (rest_framework.authtoken is no longer installed):
    the migration moves its keys in as hashes and leaves no key behind."""
    plaintext = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, '
                       '"created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE)')
        cursor.execute('INSERT INTO "authtoken_token" VALUES (%s, %s, %s)',
                       [plaintext, "2026-01-02 03:04:05", owner.user.pk])
    migration = next(m for (app, name), m in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.items()
                     if app == "studio" and name.endswith("api_tokens_hashed"))
    [move] = [op for op in migration.operations if op.__class__.__name__ == "RunPython"]
    move.code(apps, SimpleNamespace(connection=connection))
    assert workspaces_with(plaintext) == 200
    token = ApiToken.objects.get(user=owner.user)
    assert (token.prefix, token.created.year) == ("01234567", 2026)
    with connection.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM "authtoken_token"')
        assert cursor.fetchone() == (0,)
    assert not any(plaintext in value for value in stored_values())
