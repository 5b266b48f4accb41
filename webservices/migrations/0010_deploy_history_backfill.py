"""Endpoint histories used to get their "deploy" entry when first read; now it is written when an endpoint is
added or the service deployed. Give the endpoints that were never read theirs."""

from django.db import migrations


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Endpoint = apps.get_model("webservices", "Endpoint")
    ResourceVersion = apps.get_model("webservices", "ResourceVersion")
    for endpoint in Endpoint.objects.filter(is_default=False).select_related("service__current"):
        deployment = endpoint.service.current
        for resource in deployment.resources if deployment else []:
            if resource.get("Kind") != "TrainedModel":
                continue
            history = ResourceVersion.objects.filter(endpoint=endpoint, name=resource["Name"])
            if history.filter(how="deploy", sha256=resource["Sha256"]).exists():
                continue
            patched = any(r.get("Name") == resource["Name"] for r in endpoint.resources or [])
            if not patched:
                history.update(active=False)
            ResourceVersion.objects.create(endpoint=endpoint, name=resource["Name"], path=resource["Path"],
                                           sha256=resource["Sha256"], how="deploy", active=not patched,
                                           source="deployment")


class Migration(migrations.Migration):
    dependencies = [("webservices", "0009_batch_tasks")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
