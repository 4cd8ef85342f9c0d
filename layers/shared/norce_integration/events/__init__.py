"""Norce Commerce Event webhooks: the types, their payloads, intake (acknowledge and queue) and handling."""
