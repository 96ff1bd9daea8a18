from pathlib import Path

from gov_common.testing import check_service_boots
from hall.main import SPEC, create_app
from hall.settings import Settings


async def test_starts_on_the_embedded_default(tmp_path: Path) -> None:
    await check_service_boots(create_app(Settings(data_dir=tmp_path)), title=SPEC.title)
    assert (tmp_path / "hall.db").exists(), "its own SQLite file, named after the service"
