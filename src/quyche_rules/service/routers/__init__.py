"""One router per concern. The tracker endpoints (``/v1/track...``) will be one more module
here, included by ``create_app`` beside these; see ``app.ROUTERS``."""
