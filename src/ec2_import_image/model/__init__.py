"""The pinned service model of the three VM Import operations, read without botocore."""

from ec2_import_image.model.shapes import Model, Operation, Shape, load_model

__all__ = ["Model", "Operation", "Shape", "load_model"]
