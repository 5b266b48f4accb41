"""The experiments app's pages (its API is experiments/api/urls.py)."""

from django.urls import path

from . import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("experiments/new/", pages.experiment_new, name="experiment-new"),
    path("experiments/<int:experiment_id>/", pages.experiment_canvas, name="experiment-canvas"),
    path("experiments/<int:experiment_id>/<slug:action>/", pages.experiment_action, name="experiment-action"),
    path("datasets/", pages.datasets, name="datasets"),
    path("datasets/new/", pages.dataset_new, name="dataset-new"),
    path("datasets/<int:dataset_id>/", pages.dataset_detail, name="dataset-detail"),
    path("datasets/<int:dataset_id>/delete/", pages.dataset_remove, name="dataset-delete"),
    path("trained-models/", pages.trained_models, name="trained-models"),
]
