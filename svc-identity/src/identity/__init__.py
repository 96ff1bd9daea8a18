"""Identity and single sign-on (统一身份认证): Citizens, enterprises, staff, departments, regions and roles; the OpenID Connect provider of the platform."""
