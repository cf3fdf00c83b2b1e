"""Telling subscribers about status changes: which subscriptions a change matches
and the outbox rows written in the same transaction (`outbox`), webhook delivery
(`webhooks`) with its target checks (`targets`) and guarded transport
(`transport`), and the Atom feeds (`atom`)."""
