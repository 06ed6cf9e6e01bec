"""kfp-migrate: lint and migrate Kubeflow Pipelines v1 code to the KFP v2 SDK."""

__version__ = "0.1.0"
