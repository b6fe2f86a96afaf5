"""PySpark jobs of the Open Payments pipeline.

Pure PySpark (no other third-party dependency) and valid Python 3.9, the Python of the targeted EMR
Serverless release (``versions.json`` ``jobPython``). The package is zipped and shipped to Spark with
``--py-files``; the dataset contract arrives as JSON exported by ``orchestrator contract export``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
