"""Service catalog (事项目录): Standard service items per region, materials, forms, fees, time limits, process templates, one-thing bundles, publishing and search."""
