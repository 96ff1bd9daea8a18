from evaluation.models import metadata
from gov_common import calendars
from gov_common.migrations import run_env

run_env(metadata, calendars.metadata)
