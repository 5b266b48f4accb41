"""How fast the canvas shows and moves a large experiment, in headless Chromium.

A 150-node, 200-edge experiment (Select Columns chains fed by Enter Data Manually) is opened on a real
studio server: (a) time from navigation start until every node is rendered and the canvas answers a
click (target < 1.5 s); (b) frame times while dragging a node across it (median and 95th percentile).
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from experiments.engine.graph import edge_json as edge  # noqa: E402
from experiments.engine.graph import node_json as node  # noqa: E402

NODES, EDGES = 150, 200
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def prepare(workdir: Path) -> tuple[dict[str, str], int, str]:
    os.environ.update({"ATELIER_VAR_DIR": str(workdir), "DJANGO_SETTINGS_MODULE": "studio.settings",
                       "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from experiments.models import Experiment
    from studio.selectors import default_workspace_of

    call_command("migrate", verbosity=0)
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_user("bench", password=password)
    graph = graph_with_edges()
    experiment = Experiment.objects.create(workspace=default_workspace_of(user), name="Big", graph=graph)
    return dict(os.environ), experiment.pk, password


def graph_with_edges() -> dict:
    """50 data sources and 100 Add Rows nodes, each fed on both inputs: 150 nodes, 200 edges."""
    nodes = [node(f"s{k}", "enter-data-manually", (k % 10) * 250, (k // 10) * 330) for k in range(50)]
    edges = []
    for k in range(50):
        x, y = (k % 10) * 250, (k // 10) * 330
        nodes += [node(f"r{k}a", "add-rows", x, y + 110), node(f"r{k}b", "add-rows", x, y + 220)]
        edges += [edge(f"s{k}", "dataset", f"r{k}a", "dataset1"),
                  edge(f"s{(k + 1) % 50}", "dataset", f"r{k}a", "dataset2"),
                  edge(f"r{k}a", "results_dataset", f"r{k}b", "dataset1"),
                  edge(f"s{(k + 2) % 50}", "dataset", f"r{k}b", "dataset2")]
    return {"nodes": nodes, "edges": edges}


def measure(base: str, experiment_id: int, password: str) -> tuple[float, list[float]]:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.get_by_test_id("login-username").fill("bench")
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/experiments/{experiment_id}/")
        expect(page.locator(".react-flow__node")).to_have_count(NODES)  # (no eval: the page has a strict CSP)
        page.get_by_test_id("node-s25").click()
        page.get_by_test_id("properties").get_by_text("Enter Data Manually").wait_for()
        ready = page.evaluate("performance.now()")  # since this page's navigation started
        page.evaluate("""() => { window.__frames = []; let last = performance.now();
            const tick = (now) => { window.__frames.push(now - last); last = now;
                                    if (window.__frames.length < 400) requestAnimationFrame(tick); };
            requestAnimationFrame(tick); }""")
        box = page.get_by_test_id("node-s5").bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 10)
        page.mouse.down()
        for step in range(60):
            page.mouse.move(box["x"] + 20 + step * 5, box["y"] + 10 + step * 3)
        page.mouse.up()
        frames = page.evaluate("window.__frames")
        browser.close()
    return ready / 1000, frames[5:]


def main() -> None:
    from studio import processes

    with tempfile.TemporaryDirectory(prefix="atelier-bench-canvas-") as directory:
        env, experiment_id, password = prepare(Path(directory))
        redis_port, port = processes.free_port(), processes.free_port()
        redis_server = processes.start_redis(redis_port, Path(directory), Path(directory) / "redis.log")
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        server = processes.ManagedProcess("server", processes.asgi_command(host="127.0.0.1", port=port), env,
                                          Path(directory) / "server.log").start()
        try:
            processes.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=30)
            ready, frames = measure(f"http://127.0.0.1:{port}", experiment_id, password)
        finally:
            server.stop()
            redis_server.stop()
    p95 = statistics.quantiles(frames, n=20)[18]
    print(f"{NODES} nodes, {EDGES} edges: rendered and interactive {ready:.2f} s after navigation  (target < 1.5 s)")
    print(f"dragging a node: frame time median {statistics.median(frames):.1f} ms, p95 {p95:.1f} ms "
          f"({len(frames)} frames)")


if __name__ == "__main__":
    main()
