from certificates.models import metadata
from gov_common.migrations import run_env

run_env(metadata)
