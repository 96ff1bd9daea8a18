"""Mechanics shared by the platform's web front-ends (the portal, the staff workbench, identity's sign-in
pages): server-side sessions behind an HttpOnly cookie, the OIDC backend-for-frontend client (tokens never
reach the browser), CSRF tokens, security headers with a strict Content Security Policy, the common layout
and its local assets, and forms generated from JSON Schema. No domain code: what a page shows belongs to
its front-end."""
