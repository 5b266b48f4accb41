"""Experiments: a graph of modules inside a workspace (DESIGN §3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models import Workspace


def empty_graph() -> dict[str, list[object]]:
    return {"nodes": [], "edges": []}


class Experiment(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        PREDICTIVE = "predictive", "Predictive"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TRAINING)
    training_experiment = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predictive_experiments"
    )
    graph = models.JSONField(default=empty_graph)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="experiments"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]
        indexes = [models.Index(fields=["workspace", "-updated"])]

    def __str__(self) -> str:
        return self.name
