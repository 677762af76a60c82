"""Errors meant for the researcher at the command line (printed without a traceback)."""


class UserError(Exception):
    """A problem with the user's input or environment, with a message saying what to do."""


class DatasetNotFoundError(UserError, FileNotFoundError):
    """A data set is missing: the message names where we looked and how to get it."""
