"""The one meter stream for every billable event (see :mod:`tidings.meters.stream`)."""
