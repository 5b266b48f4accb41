"""Every script a page loads is built from frontend/ (typed, linted, one API client) or comes from an installed
package: no hand-written JavaScript beside the build (issue 16, item 6)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT = re.compile(r"<script\b[^>]*>", re.S)
BUILT = re.compile(r"""src="\{% static 'frontend/([\w-]+)\.js' %\}\"""")
PACKAGED = {'src="{{ redoc_standalone }}"'}  # drf-spectacular-sidecar's ReDoc


def vite_entries() -> set[str]:
    """The names of the entries vite.config.ts builds (each becomes static/frontend/<name>.js)."""
    config = (ROOT / "frontend" / "vite.config.ts").read_text()
    inputs = re.search(r"input:\s*\{(.*?)\}", config, re.S)
    assert inputs, "vite.config.ts names no rollupOptions.input"
    return set(re.findall(r"""["']?([\w-]+)["']?\s*:\s*["']src/""", inputs.group(1)))


def test_templates_load_only_built_or_packaged_scripts():
    entries = vite_entries()
    assert {"canvas", "dashboard", "confirm", "datasets", "redoc-offline"} <= entries
    for template in (ROOT / "templates").rglob("*.html"):
        for tag in SCRIPT.findall(template.read_text()):
            built = BUILT.search(tag)
            assert built or any(source in tag for source in PACKAGED), f"{template}: {tag}"
            assert not built or built.group(1) in entries, f"{template}: {tag} is not a vite entry"
            assert "src=" in tag, f"{template}: an inline script ({tag}); the CSP refuses it"


def test_no_javascript_is_kept_beside_the_build():
    static = ROOT / "static"
    assert not [path for path in static.rglob("*.js") if path.relative_to(static).parts[0] != "frontend"]
