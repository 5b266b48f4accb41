"""Pages need a login; the API answers 401 without credentials and works with a session or a token."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from experiments.models import Experiment
from studio.services import api_token_create

pytestmark = pytest.mark.django_db

SHELL_PAGES = ["home", "web-services", "datasets", "trained-models"]


@pytest.mark.parametrize("name", SHELL_PAGES)
def test_shell_pages_redirect_anonymous_users_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", SHELL_PAGES)
def test_shell_pages_show_the_navigation_to_a_signed_in_user(owner_client, name):
    response = owner_client.get(reverse(name))
    assert response.status_code == 200
    for label in ["Experiments", "Web Services", "Datasets", "Trained Models", "olivia"]:
        assert label in response.content.decode()


def test_admin_link_only_for_staff(owner_client, client, django_user_model):
    assert 'data-testid="nav-admin"' not in owner_client.get("/").content.decode()
    staff = django_user_model.objects.create_user("sam", password="pw-for-staff-123", is_staff=True)
    client.force_login(staff)
    assert 'data-testid="nav-admin"' in client.get("/").content.decode()


def test_login_page_signs_a_user_in_and_lands_on_the_experiments_list(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": owner.password})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_login_page_rejects_a_wrong_password_with_a_message(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_new_user_gets_a_default_workspace(owner):
    assert owner.workspace.name == "olivia's workspace"
    assert owner.workspace.memberships.get().role == "owner"
    assert len(owner.workspace.id) == 32


def test_api_without_credentials_is_401_with_a_json_detail():
    response = APIClient().get("/api/workspaces/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "errors": []}
    assert response["WWW-Authenticate"] == "Token"


def test_api_with_a_bad_token_is_401():
    response = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token").get("/api/workspaces/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_api_works_with_a_token_and_shows_only_the_callers_workspaces(owner, outsider):
    _, key = api_token_create(user=owner.user)
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/workspaces/")
    assert response.status_code == 200
    assert [w["id"] for w in response.json()] == [owner.workspace.id]


def test_api_me_works_with_a_session(owner_client, owner):
    body = owner_client.get("/api/me/").json()
    assert body["username"] == "olivia"
    assert body["workspaces"][0]["id"] == owner.workspace.id


def test_another_users_experiment_is_404_on_page_and_api(owner, outsider, client):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Private")
    client.force_login(outsider.user)
    assert client.get(reverse("experiment-canvas", args=[experiment.pk])).status_code == 404
    assert client.get(f"/api/experiments/{experiment.pk}/").status_code == 404


def test_new_experiment_form_creates_it_in_the_default_workspace_and_opens_the_canvas(owner_client, owner):
    response = owner_client.post(reverse("experiment-new"), {"name": "Income prediction"})
    experiment = Experiment.objects.get()
    assert response["Location"] == reverse("experiment-canvas", args=[experiment.pk])
    assert experiment.name == "Income prediction"
    assert (experiment.workspace, experiment.kind) == (owner.workspace, "training")
    canvas = owner_client.get(response["Location"]).content.decode()
    assert 'id="canvas-root"' in canvas and "frontend/canvas.js" in canvas


def test_new_experiment_in_a_workspace_the_user_is_not_in_is_404(owner_client, outsider):
    response = owner_client.post(reverse("experiment-new"), {"name": "x", "workspace": outsider.workspace.id})
    assert response.status_code == 404
    assert not Experiment.objects.exists()


def test_openapi_schema_and_swagger_ui_are_served(owner_client):
    schema = owner_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/workspaces/" in schema.json()["paths"]
    assert owner_client.get("/api/docs/").status_code == 200


def test_datasets_page_uploads_a_file_and_lists_it(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("people.csv", b"age,city\n39,Paris\n25,Lyon\n", content_type="text/csv")
    response = owner_client.post(reverse("dataset-new"), {"name": "People", "file": upload}, follow=True)
    page = response.content.decode()
    assert "Uploaded &#x27;People&#x27;: 2 rows, 2 columns." in page
    assert ">People</a></td>" in page


def test_datasets_page_explains_a_bad_upload(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bad.csv", b"\xff\xfe\x00\x01", content_type="text/csv")
    page = owner_client.post(reverse("dataset-new"), {"file": upload}, follow=True).content.decode()
    assert "bad.csv: The file is not UTF-8 text" in page


def test_the_datasets_form_without_javascript_takes_the_reading_options(owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def post(**options):
        upload = SimpleUploadedFile("r.csv", b"a;b\n1,5;-\n2\n", content_type="text/csv")
        return owner_client.post(reverse("dataset-new"), {"name": "R", "file": upload, "separator": ";",
                                                          "decimal": ",", "missing": "-", **options},
                                 follow=True).content.decode()

    assert "r.csv: Line 3 has 1 field; the header has 2." in post()
    page = post(lenient="on")
    assert "Uploaded &#x27;R&#x27;: 2 rows, 2 columns. 1 short line padded with missing values (line 3)." in page
    assert "(1 padded, 0 skipped)" in page


def test_experiments_list_searches_renames_copies_and_deletes(owner_client, owner):
    first = Experiment.objects.create(workspace=owner.workspace, name="Income prediction")
    Experiment.objects.create(workspace=owner.workspace, name="Flight delays")
    page = owner_client.get(reverse("home"), {"q": "income"}).content.decode()
    assert "Income prediction" in page and "Flight delays" not in page

    owner_client.post(reverse("experiment-action", args=[first.pk, "rename"]), {"name": "Income v2"})
    owner_client.post(reverse("experiment-action", args=[first.pk, "save-as"]), {"name": "Income v3"})
    assert sorted(Experiment.objects.values_list("name", flat=True)) == ["Flight delays", "Income v2", "Income v3"]
    owner_client.post(reverse("experiment-action", args=[first.pk, "delete"]))
    assert not Experiment.objects.filter(pk=first.pk).exists()


def test_experiment_actions_on_another_workspace_are_404(owner_client, outsider):
    theirs = Experiment.objects.create(workspace=outsider.workspace, name="Theirs")
    response = owner_client.post(reverse("experiment-action", args=[theirs.pk, "delete"]))
    assert response.status_code == 404
    assert Experiment.objects.filter(pk=theirs.pk).exists()


def test_dataset_page_shows_column_statistics_and_first_rows(owner_client, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from experiments.models import Dataset

    upload = SimpleUploadedFile("people.csv", b"age,city\n39,Paris\n25,Lyon\n41,\n", content_type="text/csv")
    owner_client.post(reverse("dataset-new"), {"name": "People", "file": upload})
    dataset = Dataset.objects.get(name="People")
    page = owner_client.get(reverse("dataset-detail", args=[dataset.pk])).content.decode()
    assert "3 rows, 2 columns" in page
    assert "<td>age</td><td>numeric</td><td>feature</td><td>0</td>" in page
    assert "35.000" in page  # mean age
    assert "<td>Paris</td>" in page


def test_another_workspaces_dataset_page_is_404(owner_client, outsider):
    import pandas as pd

    from experiments.datasets import dataset_store
    from experiments.modules.framework.datatable import DataTable

    theirs = dataset_store(table=DataTable(pd.DataFrame({"a": [1]})), name="Theirs", workspace=outsider.workspace,
                           source="upload")
    assert owner_client.get(reverse("dataset-detail", args=[theirs.pk])).status_code == 404


# --- Sign-in lockout (issue 14, finding 10) --------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by the test instead of sleeping."""
    import time

    from studio.throttle import FailureLimit

    now = [time.time()]
    monkeypatch.setattr(FailureLimit, "timer", staticmethod(lambda: now[0]))
    return now


def sign_in(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_username_is_locked_out_after_repeated_wrong_passwords_then_let_in_again(client, owner, settings, clock):
    for _ in range(settings.ATELIER_LOGIN_MAX_FAILURES - 1):
        assert "didn't match" in sign_in(client, owner.username, "wrong").content.decode()
    locked = sign_in(client, owner.username, "wrong").content.decode()
    assert "Too many failed sign-ins for this account or from this address. Try again in 15 minutes." in locked
    right = sign_in(client, owner.username, owner.password, address="10.9.8.7")  # from elsewhere too
    assert right.status_code == 200 and "Too many failed sign-ins" in right.content.decode()
    assert client.get(reverse("home")).status_code == 302  # not signed in
    clock[0] += settings.ATELIER_LOGIN_LOCKOUT_SECONDS + 1
    assert sign_in(client, owner.username, owner.password)["Location"] == reverse("home")


def test_one_address_trying_many_usernames_is_locked_out_and_others_are_not(client, owner, outsider, settings,
                                                                            clock):
    settings.ATELIER_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for name in ("alice", "bob", "nobody-at-all"):  # accounts that don't exist count the same
        sign_in(client, name, "guess", address="203.0.113.9")
    assert "Too many failed sign-ins" in sign_in(client, owner.username, owner.password,
                                                 address="203.0.113.9").content.decode()
    admin = client.post("/admin/login/", {"username": owner.username, "password": owner.password},
                        REMOTE_ADDR="203.0.113.9")
    assert "Too many failed sign-ins" in admin.content.decode()  # the admin's sign-in shares the lockout
    assert sign_in(Client(), outsider.username, outsider.password, address="198.51.100.4").status_code == 302


def test_a_right_password_forgets_earlier_mistakes(client, owner, settings, clock):
    for _ in range(settings.ATELIER_LOGIN_MAX_FAILURES - 1):
        sign_in(client, owner.username, "wrong")
    assert sign_in(client, owner.username, owner.password).status_code == 302
    client.logout()
    assert "didn't match" in sign_in(client, owner.username, "wrong").content.decode()
