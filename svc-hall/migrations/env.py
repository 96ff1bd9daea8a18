from gov_common.migrations import run_env
from hall.models import metadata

run_env(metadata)
