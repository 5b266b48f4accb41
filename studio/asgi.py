"""ASGI entry point: scoring calls go straight to webservices (no middleware), other HTTP to Django,
WebSockets to Channels consumers (session-authenticated)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry ready)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from experiments.routing import websocket_urlpatterns  # noqa: E402
from webservices.scoring.asgi import with_scoring  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": with_scoring(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
