"""The one error type every loader and validator raises."""


class SpecError(ValueError):
    """A network, data or settings value is not acceptable.

    The message starts with the field path (``layers[1].activation``) so a
    user can find the culprit in the file or form that produced it.
    """

    MAX_DETAIL = 300     # a value quoted in a message is cut, not printed whole

    def __init__(self, path: str, message: str):
        if len(message) > self.MAX_DETAIL:
            message = message[:self.MAX_DETAIL - 1] + "…"
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)
