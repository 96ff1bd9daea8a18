"""The staff work platform (政务服务工作平台): staff at every level find, claim and handle cases in a browser,
through the platform's public API only (a backend-for-frontend: see gov_web), on the government network."""
