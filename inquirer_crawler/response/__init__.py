"""Responses: how a downloaded page is decoded and repaired, answered offline, or named when it failed."""
