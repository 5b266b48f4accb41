"""Issue 18: one workspace storage layout.

1. The storage records move to the studio (studio/migrations/0005 made the table; rows copied, this app's dropped).
2. Files Import Data and Export Data kept under `workspaces/{ws}/storage/{path}` join the one layout,
   `workspaces/{ws}/{path}`, where the storage call, batch jobs and the Datasets page see them, and are recorded as
   the studio's. A file the records already know under `storage/...` stays: the storage call (or a job) named it
   that way, a container called "storage", and it is already in the layout. A path without a folder
   (`data.csv`) has no container: it stays too, as `storage/data.csv`. Unsafe characters in a name become '_'.
   When the new place is taken by another file, both are kept: the moved one is renamed `<name>.exported.<ext>`
   (then `.exported-2`, …). Every move and rename is printed. Run again, it moves nothing (idempotent): what it
   moved is gone from the old folder, what it kept is recorded.
"""

import hashlib
import itertools
import re
from typing import Any

from django.core.files.storage import default_storage
from django.db import migrations

LEGACY = "storage"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
PIECE = 2**20


def _files_under(folder: str) -> list[str]:
    """Every file under `folder`, relative to it (FileSystemStorage raises for a missing folder; S3 lists none)."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return list(files) + [f"{sub}/{path}" for sub in folders for path in _files_under(f"{folder}/{sub}")]


def _hash(path: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(path, "rb") as handle:
        while piece := handle.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


def _modified(path: str) -> Any:
    try:
        return default_storage.get_modified_time(path)
    except (NotImplementedError, OSError):
        return None


def new_location(rest: str) -> str:
    """The location a legacy `storage/{rest}` file takes: its path with safe segments, in a container."""
    parts = [UNSAFE.sub("_", part).lstrip("._-")[:255] or "file" for part in rest.split("/")]
    return "/".join(parts) if len(parts) > 1 else f"{LEGACY}/{parts[0]}"


def _renamed(location: str, taken: Any) -> str:
    """`folder/name.exported.ext`, or `.exported-2`, … : the first the workspace doesn't have."""
    folder, name = location.rsplit("/", 1)
    stem, dot, extension = name.rpartition(".") if "." in name else (name, "", "")
    for number in itertools.count(1):
        suffix = ".exported" if number == 1 else f".exported-{number}"
        candidate = f"{folder}/{stem}{suffix}{dot}{extension}"
        if not taken(candidate):
            return candidate
    raise AssertionError("unreachable")


def _record(StorageFile: Any, workspace_id: str, location: str) -> None:
    path = f"workspaces/{workspace_id}/{location}"
    StorageFile.objects.update_or_create(workspace_id=workspace_id, location=location, defaults={
        "service_id": None, "size": default_storage.size(path), "sha256": _hash(path), "modified": _modified(path)})


def _move(StorageFile: Any, workspace_id: str, rest: str, say: Any) -> None:
    """One legacy file into the layout (see the module's docstring)."""
    old = f"{LEGACY}/{rest}"
    if StorageFile.objects.filter(workspace_id=workspace_id, location=old).exists():
        return
    root = f"workspaces/{workspace_id}"
    location = new_location(rest)
    if location == old:
        _record(StorageFile, workspace_id, old)
        say(f"  {root}: '{rest}' has no folder; kept as '{old}'")
        return
    source = f"{root}/{old}"

    def taken(candidate: str) -> bool:
        return default_storage.exists(f"{root}/{candidate}") or StorageFile.objects.filter(
            workspace_id=workspace_id, location=candidate).exists()

    if taken(location):
        if default_storage.exists(f"{root}/{location}") and _hash(f"{root}/{location}") == _hash(source):
            default_storage.delete(source)  # the same bytes are there already (a run cut short after its copy)
            say(f"  {root}: '{old}' was already at '{location}'")
            return
        wanted, location = location, _renamed(location, taken)
        say(f"  {root}: '{wanted}' is another file; kept both: '{old}' is now '{location}'")
    else:
        say(f"  {root}: '{old}' is now '{location}'")
    with default_storage.open(source, "rb") as handle:
        default_storage.save(f"{root}/{location}", handle)
    _record(StorageFile, workspace_id, location)
    default_storage.delete(source)


def legacy_files_move(apps: Any, schema_editor: Any, say: Any = print) -> None:
    """Move every workspace's `storage/` folder of Import/Export Data files into the one layout."""
    Workspace, StorageFile = apps.get_model("studio", "Workspace"), apps.get_model("studio", "StorageFile")
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        for rest in sorted(_files_under(f"workspaces/{workspace_id}/{LEGACY}")):
            _move(StorageFile, workspace_id, rest, say)


def records_copy(apps: Any, schema_editor: Any) -> None:
    Old, New = apps.get_model("webservices", "StorageFile"), apps.get_model("studio", "StorageFile")
    for old in Old.objects.all():
        New.objects.update_or_create(workspace_id=old.workspace_id, location=old.location, defaults={
            "service_id": old.service_id, "size": old.size, "sha256": old.sha256, "modified": old.modified})


def records_copy_back(apps: Any, schema_editor: Any) -> None:
    Old, New = apps.get_model("webservices", "StorageFile"), apps.get_model("studio", "StorageFile")
    services = set(apps.get_model("webservices", "WebService").objects.values_list("pk", flat=True))
    for new in New.objects.all():
        Old.objects.update_or_create(workspace_id=new.workspace_id, location=new.location, defaults={
            "service_id": new.service_id if new.service_id in services else None, "size": new.size,
            "sha256": new.sha256, "modified": new.modified})


class Migration(migrations.Migration):

    dependencies = [
        ('studio', '0005_storage_files'),
        ('webservices', '0016_merge_20261205_0849'),
    ]

    operations = [
        migrations.RunPython(records_copy, records_copy_back),
        migrations.RunPython(legacy_files_move, migrations.RunPython.noop),
        migrations.DeleteModel(name='StorageFile'),
    ]
