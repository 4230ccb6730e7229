"""The weekly summary: figures (pure), closing the week, the chart, export."""
