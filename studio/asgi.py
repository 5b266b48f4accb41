"""ASGI entry point: scoring calls go straight to webservices (no middleware), other HTTP to Django,
WebSockets to Channels consumers (session-authenticated). The pieces are named by settings
(ASGI_HTTP_FRONT, ASGI_WEBSOCKET_ROUTES), as the root URLconf names the apps' URLs."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry ready)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

http_front = import_string(settings.ASGI_HTTP_FRONT)
websocket_routes = import_string(settings.ASGI_WEBSOCKET_ROUTES)

application = ProtocolTypeRouter(
    {
        "http": http_front(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_routes))),
    }
)
