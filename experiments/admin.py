from django.contrib import admin

from .models import Experiment


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "workspace", "created_by", "updated"]
    search_fields = ["name", "workspace__name", "created_by__username"]
    list_filter = ["kind", "updated"]
    raw_id_fields = ["training_experiment"]
    readonly_fields = ["created", "updated"]
