"""The engine: parse, validate and order a graph (graph.py), key its nodes (cache.py), execute it (executor.py),
keep each port's value through its codec (codecs.py, store.py).

It imports nothing of Django, Channels, Celery or the models: what it needs from the studio comes through the
protocols of protocols.py, implemented over the database by experiments/runner.py and in memory by the tests.
"""
