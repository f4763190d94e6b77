"""Analyst workbench for the social-housing stock of a French intercommunality.

Flow: sources -> store (microdata) -> secrecy -> published base -> notebooks,
dashboards, exports, reports. Nothing downstream of the published base reads microdata.
"""

__version__ = "0.1.0"
