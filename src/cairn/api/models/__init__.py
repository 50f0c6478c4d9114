"""Reply models: the shapes of the API's replies, for the OpenAPI document (and so for the
web UI's generated types). Request models are in ``cairn.api.schemas``."""
