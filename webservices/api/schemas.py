"""The OpenAPI description of the web service documents the studio API returns (management_json.py builds
them; these serializers only describe them to /api/schema/, they never serialize anything)."""

from __future__ import annotations

from rest_framework import serializers


class DatasetLineageSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The saved dataset; null for a batch job's input file "
                                  "or data a module made (Enter Data Manually, Import Data).")
    name = serializers.CharField(help_text="The dataset's name, or the input file's location in the storage.")
    sha256 = serializers.CharField(help_text="Its content hash when it was used ('' where it was not recorded).")


class LineageSerializer(serializers.Serializer):
    """Where the model an endpoint serves came from (issue 20), recorded when it was made: later edits to the
    experiment never change it."""

    experiment = serializers.IntegerField(allow_null=True, help_text="The experiment that trained it.")
    experiment_name = serializers.CharField(allow_null=True, help_text="Its name then.")
    run = serializers.IntegerField(allow_null=True, help_text="The run that trained it; null for a batch job.")
    node = serializers.CharField(allow_null=True, help_text="The Train Model node (null: the whole deployed run).")
    datasets = DatasetLineageSerializer(many=True)
    modules = serializers.DictField(child=serializers.IntegerField(), help_text="{module id: version} upstream.")
    parameters = serializers.DictField(help_text="{node id: its parameters} upstream.")
    studio_version = serializers.CharField(allow_null=True)
    trained = serializers.DateTimeField(allow_null=True)
    source = serializers.ChoiceField(choices=["deploy", "patch", "rollback"],
                                     help_text="How the endpoint came to serve it.")
    job = serializers.CharField(allow_null=True, help_text="The retraining batch job that trained it (a patch).")
    input = serializers.CharField(allow_null=True, help_text="That job's input file.")
    service = serializers.IntegerField(allow_null=True, help_text="The retraining web service that ran the job.")
    service_name = serializers.CharField(allow_null=True)
    resource = serializers.CharField(allow_null=True, help_text="The service's resource it is (null: no model).")
    model = serializers.CharField(allow_null=True)
    model_sha256 = serializers.CharField(allow_null=True)


class EndpointSerializer(serializers.Serializer):
    Name = serializers.CharField()
    Id = serializers.CharField()
    IsDefault = serializers.BooleanField()
    Description = serializers.CharField()
    CreationTime = serializers.DateTimeField()
    ApiLocation = serializers.URLField()
    BatchLocation = serializers.URLField()
    HelpLocation = serializers.URLField()
    KeyHint = serializers.CharField()
    MaxConcurrentCalls = serializers.IntegerField()
    DiagnosticsTraceLevel = serializers.ChoiceField(choices=["None", "Error", "All"])
    ThrottleLevel = serializers.ChoiceField(choices=["Low", "High"])
    Version = serializers.IntegerField()
    Resources = serializers.ListField(child=serializers.DictField(), help_text='[{"Name", "Kind", "Patched"}]')
    Lineage = LineageSerializer(allow_null=True, help_text="null before the service is deployed.")
    PrimaryKey = serializers.CharField(allow_null=True, required=False)
    SecondaryKey = serializers.CharField(allow_null=True, required=False)


class WebServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["predictive", "retraining", "data"])
    workspace = serializers.CharField()
    parameters = serializers.ListField(child=serializers.DictField())
    experiment = serializers.IntegerField(allow_null=True)
    deployed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    input_schema = serializers.DictField()
    output_schema = serializers.DictField()
    resources = serializers.ListField(child=serializers.DictField())
    endpoints = EndpointSerializer(many=True)
