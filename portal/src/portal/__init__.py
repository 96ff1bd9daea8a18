"""The internet portal (互联网政务服务门户): citizens and enterprises find, apply, pay, follow, receive and
rate in a browser, through the platform's public API only (a backend-for-frontend: see gov_web)."""
