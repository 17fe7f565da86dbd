"""Cron state: what earlier runs exported, what is still pending, and a lock against overlapping runs."""
