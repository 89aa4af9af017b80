"""Files of scenarios and results: YAML/JSON, the scenario workbook, and result exports."""
