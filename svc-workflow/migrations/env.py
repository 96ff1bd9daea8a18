from gov_common.migrations import run_env
from workflow.models import metadata

run_env(metadata)
