"""Renderings of a drift report: :func:`render`, :func:`report_dict`, :data:`FORMATS`, :func:`json_schema`.

The public home of the report functions; they live in :mod:`replay_jobrun.drift.report`.
"""

from .drift.report import FORMATS, json_schema, render, report_dict

__all__ = ["FORMATS", "json_schema", "render", "report_dict"]
