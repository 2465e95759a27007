"""`sam local invoke` and `sam local start-api` here: their setup and their events."""
