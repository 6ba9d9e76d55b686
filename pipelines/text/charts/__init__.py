"""Plotly charts of the warehouse tables: one module per metric family, a registry, shared helpers."""
