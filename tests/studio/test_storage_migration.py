"""Issue 18: the migration that brings Import/Export Data's old folder (`workspaces/{ws}/storage/{path}`) into the
one storage layout (`workspaces/{ws}/{path}`), run here on a workspace holding every kind of old file: it moves
what Export Data wrote, keeps what the storage call already names, keeps both files of a collision under a clear
name, says what it did, and does nothing the second time."""

from __future__ import annotations

import hashlib
import importlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from studio import storage
from studio.models import StorageFile

pytestmark = pytest.mark.django_db
migration = importlib.import_module("webservices.migrations.0017_storage_one_layout")


@pytest.fixture
def root(settings: Any, tmp_path: Path, owner: Any) -> Path:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    return tmp_path / "workspaces" / str(owner.workspace.pk)


def put(root: Path, relative: str, data: bytes) -> None:
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_bytes(data)


def migrate() -> list[str]:
    said: list[str] = []
    migration.legacy_files_move(apps, None, say=said.append)
    return said


def test_old_files_join_the_layout_once_and_collisions_keep_both(root, owner):
    ws = str(owner.workspace.pk)
    put(root, "storage/exports/data.csv", b"a\n1\n")  # Export Data's: moves
    put(root, "storage/in/x.csv", b"exported\n")  # collides with the storage call's in/x.csv
    storage.write(ws, "in/x.csv", io.BytesIO(b"uploaded\n"), by=storage.Accessor(7))
    put(root, "storage/in/y.csv", b"same\n")  # the same bytes are at in/y.csv already (a run cut short)
    put(root, "in/y.csv", b"same\n")
    put(root, "storage/data.csv", b"no folder\n")  # no container: stays, as storage/data.csv
    storage.write(ws, "storage/mydata/a.csv", io.BytesIO(b"classic\n"), by=storage.Accessor(7))  # named so: stays
    put(root, "storage/my exports/a b.csv", b"unsafe\n")

    said = migrate()

    assert said == [
        f"  workspaces/{ws}: 'data.csv' has no folder; kept as 'storage/data.csv'",
        f"  workspaces/{ws}: 'storage/exports/data.csv' is now 'exports/data.csv'",
        f"  workspaces/{ws}: 'in/x.csv' is another file; kept both: 'storage/in/x.csv' is now 'in/x.exported.csv'",
        f"  workspaces/{ws}: 'storage/in/y.csv' was already at 'in/y.csv'",
        f"  workspaces/{ws}: 'storage/my exports/a b.csv' is now 'my_exports/a_b.csv'"]
    files = {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}
    assert files == {"exports/data.csv": b"a\n1\n", "in/x.csv": b"uploaded\n", "in/x.exported.csv": b"exported\n",
                     "in/y.csv": b"same\n", "storage/data.csv": b"no folder\n", "storage/mydata/a.csv": b"classic\n",
                     "my_exports/a_b.csv": b"unsafe\n"}
    records = {r.location: (r.service_id, r.size, r.sha256) for r in StorageFile.objects.filter(workspace_id=ws)}
    assert records["exports/data.csv"] == (None, 4, hashlib.sha256(b"a\n1\n").hexdigest())  # the studio's, counted
    assert records["in/x.csv"][0] == 7 and records["in/x.exported.csv"][0] is None
    assert records["storage/mydata/a.csv"][0] == 7 and records["storage/data.csv"][0] is None
    assert storage.read_bytes(ws, "exports/data.csv") == b"a\n1\n"  # where every door now looks

    assert migrate() == []  # idempotent: nothing left to move, nothing moved twice
    assert {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()} == set(files)


def test_a_second_collision_counts_on(root, owner):
    put(root, "storage/in/x.csv", b"third\n")
    put(root, "in/x.csv", b"first\n")
    put(root, "in/x.exported.csv", b"second\n")
    assert migrate()[-1].endswith("'storage/in/x.csv' is now 'in/x.exported-2.csv'")
    assert (root / "in" / "x.exported-2.csv").read_bytes() == b"third\n"


def test_a_workspace_without_the_old_folder_is_left_alone(root, owner):
    assert migrate() == [] and not root.exists()


@pytest.mark.django_db(transaction=True)
def test_the_records_move_to_the_studio_with_their_owners(root, owner):
    """Back to before the move (webservices keeps the records), a record there, forward again: the same record in
    the studio, its owner kept."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("webservices", "0016_merge_20261205_0849")], [("webservices", "0017_storage_one_layout")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    service = old.get_model("webservices", "WebService").objects.create(
        workspace_id=owner.workspace.pk, name="Scorer", kind="predictive")
    old.get_model("webservices", "StorageFile").objects.create(
        workspace_id=owner.workspace.pk, location="mydata/in.csv", service_id=service.pk, size=3, sha256="ab")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every later migration again, for the tests after this
    moved = StorageFile.objects.get(workspace_id=owner.workspace.pk, location="mydata/in.csv")
    assert (moved.service_id, moved.size, moved.sha256) == (service.pk, 3, "ab")
