"""What an endpoint's help page shows: a sample request (from the deployment's sample rows), and the code to
send it in Python, curl, JavaScript, C# and R, each runnable as shown once the key is filled in.

Column names and sample values are the user's data (a column `O'Brien`, a value `$(…)`), so every string
goes into the code through that language's own literal syntax (finding 8 of issue 14): shell words through
`shlex.quote`, Python through `repr`, JavaScript through JSON (a subset of its literals), C# through a
verbatim string, R through a raw string whose delimiter the text does not contain. Nothing the data holds can
end a literal early or be evaluated.
"""

from __future__ import annotations

import json
import pprint
import shlex
from typing import Any

KEY_PLACEHOLDER = "<your API key>"


def sample_request(sample: dict[str, Any], input_schema: dict[str, list[dict[str, Any]]],
                   parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A classic RRS body: the deployment's sample rows (or one row of typed placeholders) and the web
    service parameters at their defaults."""
    inputs = {}
    for name, columns in input_schema.items():
        rows = sample.get(name)
        if rows and rows.get("Values"):
            inputs[name] = {"ColumnNames": rows["ColumnNames"], "Values": rows["Values"]}
            continue
        wanted = [c for c in columns if not c.get("optional")]
        inputs[name] = {"ColumnNames": [c["name"] for c in wanted],
                        "Values": [["0" if c["kind"] in ("numeric", "boolean") else "value" for c in wanted]]}
    globals_ = {p["name"]: p["default"] for p in parameters or [] if p.get("default") is not None}
    return {"Inputs": inputs, "GlobalParameters": globals_}


def python_literal(value: Any) -> str:
    """A Python expression equal to `value` (JSON-shaped data): strings by repr, true/false/null as
    True/False/None, which pasting JSON into Python would get wrong."""
    return pprint.pformat(value, width=100, sort_dicts=False)


def javascript_literal(value: Any) -> str:
    """JSON is a JavaScript expression; ASCII-only, so no line separator can end a string early."""
    return json.dumps(value, indent=2, ensure_ascii=True)


def csharp_verbatim(text: str) -> str:
    """A C# verbatim string: nothing is special inside it but the quote, written twice."""
    return '@"' + text.replace('"', '""') + '"'


def r_raw(text: str) -> str:
    """An R raw string (R >= 4.0): nothing inside is special, and it ends only at `)`, its dashes and a quote, so
    the dash count is the first (from three) whose closing sequence the text does not hold."""
    dashes = 3
    while ")" + "-" * dashes + '"' in text:
        dashes += 1
    return f'r"{"-" * dashes}({text}){"-" * dashes}"'


def r_string(text: str) -> str:
    """An ordinary R string for printable ASCII (only the backslash and the quote escaped), else a raw string."""
    if all(" " <= ch <= "~" for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return r_raw(text)


def curl_command(method: str, url: str, headers: list[str], body: str) -> str:
    """A curl command line for POSIX shells; every word is single-quoted (a quote in it closed and escaped),
    so the body reaches curl byte for byte and the shell expands nothing in it."""
    words = [f"curl -s -X {method} {shlex.quote(url)}", *(f"-H {shlex.quote(header)}" for header in headers),
             f"--data-binary {shlex.quote(body)}"]
    return " \\\n  ".join(words) + "\n"


def patch_sample(url: str, resource_name: str) -> str:
    """The Update Resource call for the endpoint page, with placeholders for what the retraining job gave."""
    body = {"Resources": [{"Name": resource_name, "Location": {
        "BaseLocation": "<BaseLocation>", "RelativeLocation": "<RelativeLocation>", "SasBlobToken": "<SasBlobToken>"}}]}
    headers = ["Authorization: Bearer <key of this endpoint>", "Content-Type: application/json"]
    return curl_command("PATCH", url, headers, json.dumps(body))


def code_samples(url: str, body: dict[str, Any]) -> dict[str, str]:
    """Runnable snippets keyed by language; `url` is the full RRS URL with its query string."""
    python = f'''import json
import requests

url = {url!r}
api_key = {KEY_PLACEHOLDER!r}
body = {python_literal(body)}

response = requests.post(url, json=body, headers={{"Authorization": "Bearer " + api_key}}, timeout=30)
response.raise_for_status()
print(json.dumps(response.json()["Results"], indent=2))
'''
    curl = curl_command("POST", url, [f"Authorization: Bearer {KEY_PLACEHOLDER}", "Content-Type: application/json"],
                        json.dumps(body))
    javascript = f'''const url = {json.dumps(url)};
const apiKey = {json.dumps(KEY_PLACEHOLDER)};
const body = {javascript_literal(body)};

const response = await fetch(url, {{
  method: "POST",
  headers: {{ "Content-Type": "application/json", Authorization: `Bearer ${{apiKey}}` }},
  body: JSON.stringify(body),
}});
if (!response.ok) throw new Error(`${{response.status}}: ${{await response.text()}}`);
console.log(JSON.stringify((await response.json()).Results, null, 2));
'''
    csharp = f'''using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;

var url = {csharp_verbatim(url)};
var apiKey = {csharp_verbatim(KEY_PLACEHOLDER)};
var body = {csharp_verbatim(json.dumps(body))};

using var client = new HttpClient();
client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
var response = await client.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
Console.WriteLine(await response.Content.ReadAsStringAsync());
response.EnsureSuccessStatusCode();
'''
    r = f'''library(httr)
library(jsonlite)

url <- {r_string(url)}
api_key <- {r_string(KEY_PLACEHOLDER)}
# The request as JSON text (a raw string: nothing in it is R code); sent as it is.
body <- {r_raw(json.dumps(body, indent=2, ensure_ascii=True))}

response <- POST(url, add_headers(Authorization = paste("Bearer", api_key)), content_type_json(),
                 body = body, timeout(30))
answer <- content(response, as = "text", encoding = "UTF-8")
if (http_error(response)) stop(status_code(response), ": ", answer)
results <- fromJSON(answer, simplifyVector = FALSE)$Results
# As UTF-8 bytes whatever the locale (a C locale would turn each non-ASCII letter into "<U+00FC>" and the like).
writeLines(toJSON(results, auto_unbox = TRUE, null = "null", digits = NA, pretty = TRUE), useBytes = TRUE)
'''
    return {"Python": python, "curl": curl, "JavaScript": javascript, "C#": csharp, "R": r}


def batch_code_samples(jobs_url: str, storage_url: str, body: dict[str, Any]) -> dict[str, str]:
    """A retraining (or any batch) job from outside, step by step: upload the data to the workspace storage,
    submit, start, poll the status, download every output. `jobs_url` has no query string."""
    first = next(iter(body["Inputs"].values()))["RelativeLocation"]
    python = f'''import time
import requests

jobs = {jobs_url!r}
storage = {storage_url!r}
api_key = {KEY_PLACEHOLDER!r}
headers = {{"Authorization": "Bearer " + api_key}}
body = {python_literal(body)}

with open("training.csv", "rb") as data:  # your data, with the input's columns
    requests.put(storage + "/" + {first!r}, data=data, headers=headers, timeout=600).raise_for_status()
job = requests.post(jobs + "?api-version=2.0", json=body, headers=headers, timeout=30)
job.raise_for_status()
job_id = job.json()
requests.post(f"{{jobs}}/{{job_id}}/start?api-version=2.0", headers=headers, timeout=30).raise_for_status()
while True:
    status = requests.get(f"{{jobs}}/{{job_id}}?api-version=2.0", headers=headers, timeout=30).json()
    if status["StatusCode"] in ("Finished", "Failed", "Cancelled"):
        break
    time.sleep(2)
print(status["StatusCode"], status["Details"])
for name, result in (status["Results"] or {{}}).items():  # null unless Finished; the model and the evaluation
    download = requests.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"], timeout=600)
    with open(result["RelativeLocation"].rsplit("/", 1)[-1], "wb") as out:
        out.write(download.content)
'''
    key = f"Authorization: Bearer {KEY_PLACEHOLDER}"
    job = f'{shlex.quote(jobs_url)}/"$JOB"'
    curl = "\n".join([
        "# 1. Upload your data (a CSV with the input's columns) to the workspace storage",
        f"curl -s -X PUT {shlex.quote(storage_url + '/' + first)} -H {shlex.quote(key)} --data-binary @training.csv",
        "# 2. Submit the job; the answer is its id",
        "JOB=$(" + curl_command("POST", jobs_url + "?api-version=2.0", [key, "Content-Type: application/json"],
                                json.dumps(body)).rstrip("\n") + " | tr -d '\"')",
        "# 3. Start it, then read its status until StatusCode is Finished (Results: where to download each output)",
        f"curl -s -X POST {job}/start{shlex.quote('?api-version=2.0')} -H {shlex.quote(key)}",
        f"curl -s {job}{shlex.quote('?api-version=2.0')} -H {shlex.quote(key)}",
    ]) + "\n"
    r = f'''library(httr)
library(jsonlite)

jobs <- {r_string(jobs_url)}
storage <- {r_string(storage_url)}
api_key <- {r_string(KEY_PLACEHOLDER)}
auth <- add_headers(Authorization = paste("Bearer", api_key))
# The job as JSON text (a raw string: nothing in it is R code); sent as it is.
body <- {r_raw(json.dumps(body, indent=2, ensure_ascii=True))}
parsed <- function(response) {{
  answer <- content(response, as = "text", encoding = "UTF-8")
  if (http_error(response)) stop(status_code(response), ": ", answer)
  fromJSON(answer, simplifyVector = FALSE)
}}

# your data, with the input's columns
stop_for_status(PUT(paste0(storage, "/", {r_string(first)}), auth, body = upload_file("training.csv"), timeout(600)))
job_id <- parsed(POST(paste0(jobs, "?api-version=2.0"), auth, content_type_json(), body = body, timeout(30)))
stop_for_status(POST(paste0(jobs, "/", job_id, "/start?api-version=2.0"), auth, timeout(30)))
repeat {{
  status <- parsed(GET(paste0(jobs, "/", job_id, "?api-version=2.0"), auth, timeout(30)))
  if (status$StatusCode %in% c("Finished", "Failed", "Cancelled")) break
  Sys.sleep(2)
}}
cat(status$StatusCode, " ", status$Details, "\\n", sep = "")
for (result in status$Results) {{  # NULL unless Finished; the model and the evaluation
  download <- paste0(result$BaseLocation, result$RelativeLocation, result$SasBlobToken)
  stop_for_status(GET(download, write_disk(basename(result$RelativeLocation), overwrite = TRUE), timeout(600)))
}}
'''
    return {"Python": python, "curl": curl, "R": r}
