"""Evaluation toolkit for performance-based ASN management in a study area (a kecamatan or a city)."""

import warnings

# pandera imports pyspark.pandas whenever PySpark is installed (the [spark] extra), and PySpark then warns
# that it does not fully support pandas 3. The data layer uses only pyspark.sql (analysis.engine.spark), so
# the warning says nothing about this project and would otherwise show in every notebook and command.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

__version__ = "0.1.0"
