from rest_framework import serializers

from experiments.models import Experiment


class ExperimentSerializer(serializers.ModelSerializer):
    workspace = serializers.CharField(source="workspace_id", read_only=True)

    class Meta:
        model = Experiment
        fields = ["id", "name", "kind", "workspace", "training_experiment", "graph", "created", "updated"]
        read_only_fields = fields
