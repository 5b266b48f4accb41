from django.contrib.auth import get_user_model
from rest_framework import serializers

from studio.models import Workspace


class WorkspaceSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)

    class Meta:
        model = Workspace
        fields = ["id", "name", "owner", "created"]


class MeSerializer(serializers.ModelSerializer):
    workspaces = WorkspaceSerializer(many=True, read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "is_staff", "workspaces"]
