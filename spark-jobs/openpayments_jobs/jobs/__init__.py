"""Spark job entry points (each is a file spark-submit runs, with the package shipped as --py-files)."""
