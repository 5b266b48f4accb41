"""Web service kinds, as one policy table: what each kind does with a call, a batch job, a PATCH and a help page.

Set Up Web Service (experiments/setup.py, conversion.py) decides the kind a graph becomes and the deploy records
it on the service; everything after Deploy (webservices/) asks this table instead of comparing kind names. It
lives in experiments, below webservices, because Set Up reads it too; it imports nothing (pure data).

Adding a kind: a row here, a choice on `WebService.Kind` (tests/experiments/test_service_kinds.py holds the two
together), and its conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Batching(StrEnum):
    """How a batch job (BES) of the kind runs."""

    CHUNKS = "chunks"  # scored chunk by chunk, fanned out across the workers, joined in order
    WHOLE = "whole"  # every row read at once, in one task (training needs the whole table)


class SetUpOffer(StrEnum):
    """What Set Up Web Service does to offer the kind."""

    NEW_EXPERIMENT = "new predictive experiment"  # a linked predictive experiment (rebuilt while undeployed)
    IN_PLACE = "in place"  # web service input and outputs added to the training experiment itself
    NOT_OFFERED = "not offered"  # the result of another choice (a graph without a learner)


@dataclass(frozen=True)
class ServiceKind:
    """One kind of web service and its policy."""

    name: str  # as stored on WebService.kind and shown in the API
    label: str
    scores_requests: bool  # answers Request-Response calls and the dashboard's Test form
    batching: Batching
    patchable: bool  # its non-default endpoints' trained model can be replaced (Update Resource, schedules)
    retrains: bool  # its jobs return a trained model (and evaluation) to patch onto another service's endpoint
    help_sample: str  # what its endpoint page shows: "request" (sample request and response) or "job" (a BES body)
    set_up: SetUpOffer
    refusal: str = ""  # the 400's message for a Request-Response call, when it doesn't score requests


PREDICTIVE = ServiceKind(
    name="predictive", label="Predictive", scores_requests=True, batching=Batching.CHUNKS, patchable=True,
    retrains=False, help_sample="request", set_up=SetUpOffer.NEW_EXPERIMENT)
RETRAINING = ServiceKind(
    name="retraining", label="Retraining", scores_requests=False, batching=Batching.WHOLE, patchable=False,
    retrains=True, help_sample="job", set_up=SetUpOffer.IN_PLACE,
    refusal=("This is a retraining web service: it trains, so call it as a batch job (BES, .../jobs) with the "
             "training data; it returns the trained model (.ilearner) and its evaluation. Score with the "
             "predictive service."))
DATA = ServiceKind(
    name="data", label="Data transformation", scores_requests=True, batching=Batching.CHUNKS, patchable=False,
    retrains=False, help_sample="request", set_up=SetUpOffer.NOT_OFFERED)

SERVICE_KINDS: dict[str, ServiceKind] = {kind.name: kind for kind in (PREDICTIVE, RETRAINING, DATA)}
SET_UP_CHOICES = [kind.name for kind in SERVICE_KINDS.values() if kind.set_up != SetUpOffer.NOT_OFFERED]


def service_kind(name: str) -> ServiceKind:
    """The policy of the kind `name` (KeyError for a name no kind has: a bug, not a user's mistake)."""
    return SERVICE_KINDS[name]


def kind_names(*, patchable: bool | None = None, retrains: bool | None = None) -> list[str]:
    """The names of the kinds with the given policy, for a query (`kind__in=`)."""
    return [kind.name for kind in SERVICE_KINDS.values()
            if (patchable is None or kind.patchable == patchable) and (retrains is None or kind.retrains == retrains)]


def kind_of_graph(*, training: bool, trains: bool, serves_model: bool) -> ServiceKind:
    """The kind a deployed graph is: a training experiment that trains is a retraining service, a predictive
    one that serves a trained model is a predictive service, anything else transforms data."""
    if training:
        return RETRAINING if trains else DATA
    return PREDICTIVE if serves_model else DATA
