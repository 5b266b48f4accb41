"""Service kinds as one policy table (experiments/service_kinds.py): every kind a web service can have is in
it, and what each kind allows is what the calls do."""

from __future__ import annotations

from experiments.service_kinds import (
    DATA,
    PREDICTIVE,
    RETRAINING,
    SERVICE_KINDS,
    SET_UP_CHOICES,
    Batching,
    kind_names,
    kind_of_graph,
)
from webservices.models import WebService


def test_the_table_covers_every_kind_of_the_model_and_nothing_else():
    assert {name: kind.label for name, kind in SERVICE_KINDS.items()} == dict(WebService.Kind.choices)


def test_each_kind_is_coherent():
    for kind in SERVICE_KINDS.values():
        assert kind.scores_requests or kind.refusal, kind.name  # a refused call says why
        assert kind.help_sample == ("request" if kind.scores_requests else "job"), kind.name
        assert not (kind.patchable and kind.retrains), kind.name
    assert RETRAINING.batching == Batching.WHOLE and PREDICTIVE.batching == DATA.batching == Batching.CHUNKS


def test_set_up_offers_predictive_and_retraining():
    assert SET_UP_CHOICES == ["predictive", "retraining"]


def test_queries_by_policy():
    assert kind_names(patchable=True) == ["predictive"]
    assert kind_names(retrains=True) == ["retraining"]
    assert kind_names() == list(WebService.Kind.values)


def test_the_kind_of_a_deployed_graph():
    assert kind_of_graph(training=True, trains=True, serves_model=False) is RETRAINING
    assert kind_of_graph(training=True, trains=False, serves_model=False) is DATA
    assert kind_of_graph(training=False, trains=False, serves_model=True) is PREDICTIVE
    assert kind_of_graph(training=False, trains=False, serves_model=False) is DATA
