// Datasets page: upload through the JSON API with a progress bar (the form still works without JavaScript).
(function () {
  const form = document.querySelector("[data-upload-form]");
  if (!form || !window.XMLHttpRequest) return;
  const bar = document.querySelector("[data-testid=upload-progress]");
  const status = document.querySelector("[data-testid=upload-status]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", "/api/datasets/");
    request.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) bar.value = Math.round((100 * progress.loaded) / progress.total);
    });
    request.addEventListener("load", function () {
      const body = JSON.parse(request.responseText || "{}");
      if (request.status === 201) {
        bar.value = 100;
        status.textContent = "Uploaded '" + body.name + "': " + body.rows + " rows, " + body.columns.length + " columns.";
        window.location.reload();
      } else {
        status.textContent = body.detail || "The upload failed (" + request.status + ").";
      }
    });
    request.addEventListener("error", function () { status.textContent = "The upload failed: the server did not answer."; });
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Uploading…";
    request.send(new FormData(form));
  });
})();
