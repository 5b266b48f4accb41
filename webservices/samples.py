"""What an endpoint's help page shows: a sample request (from the deployment's sample rows), and the code to
send it in Python, curl, JavaScript and C#, each runnable as shown once the key is filled in."""

from __future__ import annotations

import json
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


def code_samples(url: str, body: dict[str, Any]) -> dict[str, str]:
    """Runnable snippets keyed by language; `url` is the full RRS URL with its query string."""
    pretty = json.dumps(body, indent=2)
    compact = json.dumps(body)
    python = f'''import json
import requests

url = "{url}"
api_key = "{KEY_PLACEHOLDER}"
body = {pretty}

response = requests.post(url, json=body, headers={{"Authorization": "Bearer " + api_key}}, timeout=30)
response.raise_for_status()
print(json.dumps(response.json()["Results"], indent=2))
'''
    curl = (f"curl -s -X POST '{url}' \\\n  -H 'Authorization: Bearer {KEY_PLACEHOLDER}' \\\n"
            f"  -H 'Content-Type: application/json' \\\n  -d '{compact}'\n")
    javascript = f'''const url = "{url}";
const apiKey = "{KEY_PLACEHOLDER}";
const body = {pretty};

const response = await fetch(url, {{
  method: "POST",
  headers: {{ "Content-Type": "application/json", Authorization: `Bearer ${{apiKey}}` }},
  body: JSON.stringify(body),
}});
if (!response.ok) throw new Error(`${{response.status}}: ${{await response.text()}}`);
console.log(JSON.stringify((await response.json()).Results, null, 2));
'''
    escaped = compact.replace('"', '""')
    csharp = f'''using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;

var url = "{url}";
var apiKey = "{KEY_PLACEHOLDER}";
var body = @"{escaped}";

using var client = new HttpClient();
client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
var response = await client.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
Console.WriteLine(await response.Content.ReadAsStringAsync());
response.EnsureSuccessStatusCode();
'''
    return {"Python": python, "curl": curl, "JavaScript": javascript, "C#": csharp}
