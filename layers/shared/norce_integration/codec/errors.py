"""Why a body could not be read."""


class MalformedBody(ValueError):
    """The body is not well-formed JSON/XML or not an object of the expected type.

    Norce cannot fix this by retrying, so it is answered with a ``Failed`` OrderResponse.
    """


class ForbiddenXml(ValueError):
    """The XML uses a DTD, entities or external references: refused outright (HTTP 400)."""
