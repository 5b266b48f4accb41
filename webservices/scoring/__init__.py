"""The scoring package: everything a Request-Response call touches, read top to bottom.

- `asgi`: the bare ASGI entry in front of Django (no middleware on the hot path);
- `call`: the call itself (size, method, version, key, kind, limits, parse, score, format) and its Django view;
- `keys`: how keys are made, stored and compared (`endpoint_key_matches`, the one comparison) and throttled;
- `wire`: the classic wire, parse and format only, with typed errors that carry their status;
- `scorer`: a deployment snapshot compiled into a Scorer; `served`: the per-process cache of them.
"""
