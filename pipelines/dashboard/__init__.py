"""The offline HTML dashboard of the charts: one page with every chart, one page per chart."""
