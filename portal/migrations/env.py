from gov_common.migrations import run_env
from portal.models import metadata

run_env(metadata)
