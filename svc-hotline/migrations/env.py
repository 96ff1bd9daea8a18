from gov_common import calendars
from gov_common.migrations import run_env
from hotline.models import metadata

run_env(metadata, calendars.metadata)
