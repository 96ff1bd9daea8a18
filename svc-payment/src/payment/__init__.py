"""Online payment (统一在线支付): Fee orders, channel adapters, signed notifications, refunds and reconciliation."""
