from django.db.models import QuerySet
from rest_framework import viewsets

from experiments.models import Experiment
from experiments.selectors import experiments_of

from .serializers import ExperimentSerializer


class ExperimentViewSet(viewsets.ReadOnlyModelViewSet):
    """Experiments in the caller's workspaces. Editing and runs arrive with the engine (SPEC §2)."""

    serializer_class = ExperimentSerializer

    def get_queryset(self) -> QuerySet[Experiment]:
        return experiments_of(self.request.user)
