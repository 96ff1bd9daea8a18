"""svc-hotline: the 12345 government service hotline (12345 政务服务便民热线)."""
