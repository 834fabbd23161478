"""Geography: the US ZIP table every other module reads."""

from territorial.geo.zips import ZIP_COLUMNS, load_zips

__all__ = ["ZIP_COLUMNS", "load_zips"]
