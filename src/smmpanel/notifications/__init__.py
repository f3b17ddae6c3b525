"""Notifications: in-panel messages and email to customers, email and Telegram alerts to
staff, delivered by the worker from an outbox written in the event's own transaction."""
