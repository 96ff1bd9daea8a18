"""svc-hall: the smart service hall (智能化实体大厅)."""
