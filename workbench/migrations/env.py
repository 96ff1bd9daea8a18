from gov_common.migrations import run_env
from workbench.main import metadata

run_env(metadata)
