"""Workspaces: the unit of ownership. Every experiment, dataset and web service belongs to one."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_workspace_id() -> str:
    """32 hex characters, like the workspace ids in Azure ML Studio's web-service URLs."""
    return uuid.uuid4().hex


class Workspace(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_workspace_id, editable=False)
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_workspaces")
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces", blank=True
    )
    created = models.DateTimeField(auto_now_add=True)
    # The classic workspace's authorization tokens (issue 17; studio/workspace_tokens.py): the SHA-256 to check a
    # presented one, a sealed copy (studio/sealing.py) to show them on the settings page.
    primary_token_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    secondary_token_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    primary_token_sealed = models.TextField(blank=True, editable=False)
    secondary_token_sealed = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class WorkerBeat(models.Model):
    """A running Celery worker (one row per started main process), touched every few seconds: work stamped
    with a worker whose row went quiet was lost with it (SIGKILL, a crashed machine) and can be failed at
    once instead of after the broker's visibility timeout."""

    name = models.CharField(max_length=200, unique=True, help_text="hostname/boot id")
    started = models.DateTimeField(auto_now_add=True)
    seen = models.DateTimeField()
    stopped = models.BooleanField(default=False, help_text="Stopped cleanly: its unfinished tasks went back.")

    def __str__(self) -> str:
        return self.name


def token_digest(key: str) -> str:
    """What is stored of an API token's key: its SHA-256 (the key is 160 random bits, so no salt or stretching)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A studio API token (`Authorization: Token <key>`). Only the key's hash is stored: the key is shown once,
    when the token is made (`manage.py drf_create_token <user>`, or the admin)."""

    PREFIX = 8  # characters of the key kept in the clear, to tell tokens apart

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the key")
    prefix = models.CharField(max_length=PREFIX, editable=False, help_text="The key's first characters")
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def set_key(self) -> str:
        """Give the token a new random key (40 hex characters, as DRF's) and return it: it is not kept."""
        key = secrets.token_hex(20)
        self.digest, self.prefix = token_digest(key), key[: self.PREFIX]
        return key


class StorageFile(models.Model):
    """A file of the workspace storage (`workspaces/{ws}/{location}`, studio/storage.py), recorded on every write
    through it: the storage call, a batch job, a retraining, Export Data. Its owner decides who reaches it
    (issue 14, finding 9): the service whose key uploaded it or whose job wrote it, or the studio itself (no
    service: files its members put there, Export Data's outputs, anything written outside the storage module).
    Its sha256 is the version a SasBlobToken is bound to; its size counts against the workspace's quota."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="storage_files")
    location = models.CharField(max_length=1000, help_text="container/path, as in a RelativeLocation")
    # The owning web service's id, not a foreign key: services live in an app above this one. Deleting a service
    # hands its files to the studio (studio.storage.files_disown).
    service_id = models.BigIntegerField(null=True, blank=True, db_index=True,
                                        help_text="The owning web service; empty: the studio's (its members reach "
                                                  "every file).")
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    modified = models.DateTimeField(null=True, blank=True,
                                    help_text="The storage's modified time when recorded: another time means the "
                                              "file was written outside the storage module.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "location"]
        constraints = [models.UniqueConstraint(fields=["workspace", "location"], name="one_storage_record_per_file")]

    def __str__(self) -> str:
        return f"{self.workspace_id}/{self.location}"
