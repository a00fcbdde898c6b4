"""stripe-gateway: the Stripe customer behind each helpdesk contact, over GraphQL."""

__version__ = "0.1.0"
