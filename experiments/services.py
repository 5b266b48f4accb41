"""Writes for experiments."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from studio.models import Workspace

from .models import Experiment


def experiment_create(*, workspace: Workspace, name: str, created_by: AbstractBaseUser | None) -> Experiment:
    return Experiment.objects.create(workspace=workspace, name=name.strip() or "Untitled experiment",
                                     created_by=created_by)
