"""Data exchange (数据共享交换): External systems, inbound and outbound sync, webhooks, shared data and access audit."""
