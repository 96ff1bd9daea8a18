"""svc-identity: Identity and single sign-on (统一身份认证)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gov_common.auth import TokenVerifier
from gov_common.service import ServiceSpec, background_task, create_service_app, run_alongside
from gov_web.templating import STATIC_DIR, STATIC_PATH
from identity import housekeeping
from identity.accounts.reset_pages import router as reset_pages_router
from identity.accounts.resets import router as resets_router
from identity.accounts.router import router as accounts_router
from identity.admin.router import router as admin_router
from identity.basedata import SyntheticLegalPersonBase, SyntheticPopulationBase
from identity.demo import seed
from identity.deps import Identity
from identity.enterprises.router import router as enterprises_router
from identity.models import metadata
from identity.oidc.router import router as oidc_router
from identity.oidc.tokens import LocalRevocations, revocation_window
from identity.org.router import router as org_router
from identity.pii import PersonalData, load_keys
from identity.settings import Settings
from identity.signing import KeyStore, LocalJWKS
from identity.sms import DevSmsFolder, NoSms

SPEC = ServiceSpec(
    name="identity",
    title="Identity and single sign-on (统一身份认证)",
    description="Citizens, enterprises, staff, departments, regions and roles; the OpenID Connect provider of the platform.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(
        oidc_router,
        accounts_router,
        resets_router,
        reset_pages_router,
        enterprises_router,
        org_router,
        admin_router,
    ),
    demo=seed,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn identity.main:create_app --factory``)."""
    settings = settings or Settings()
    app = create_service_app(SPEC, settings)
    pii = PersonalData(load_keys(settings))
    keys = KeyStore(
        pii,
        alg=settings.signing_alg,
        overlap_seconds=settings.key_overlap_seconds,
        cache_seconds=settings.key_cache_seconds,
    )
    sms = NoSms() if settings.environment == "production" else DevSmsFolder(settings.data_dir / "sms")
    app.state.identity = Identity(
        settings=settings,
        pii=pii,
        keys=keys,
        population=SyntheticPopulationBase(),
        sms=sms,
        legal_persons=SyntheticLegalPersonBase(),
    )
    # Identity verifies tokens for its own APIs from its key table, not over HTTP from itself.
    jwks = LocalJWKS(app.state.runtime.db, keys, ttl_seconds=settings.key_cache_seconds, min_refetch_seconds=1.0)
    revoked = LocalRevocations(app.state.runtime.db, window_seconds=revocation_window(settings))
    app.state.token_verifier = TokenVerifier(
        jwks, issuer=settings.token_issuer, audience=settings.token_audience, revocations=revoked
    )
    # The sign-in pages' stylesheets, script and icon: the platform's one look, from identity's own origin.
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
    _with_housekeeping(app, settings)
    return app


def _with_housekeeping(app: FastAPI, settings: Settings) -> None:
    """Purge expired rows for the app's life."""
    db = app.state.runtime.db
    run_alongside(
        app,
        lambda: background_task(
            "housekeeping", lambda: housekeeping.run(db, every_seconds=settings.housekeeping_seconds)
        ),
    )
