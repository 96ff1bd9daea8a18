from gov_common.migrations import run_env
from payment.models import metadata

run_env(metadata)
