"""Reads for experiments, always scoped to the user's workspaces (another user's objects are 404)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from studio.selectors import workspaces_of

from .models import Experiment


def experiments_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Experiment]:
    return Experiment.objects.filter(workspace__in=workspaces_of(user)).select_related("workspace")


def experiment_visible_to(user: AbstractBaseUser | AnonymousUser, experiment_id: int) -> bool:
    return experiments_of(user).filter(pk=experiment_id).exists()
