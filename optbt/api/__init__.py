"""The Python front door for notebooks and scripts: ``optbt.backtest(...) -> Result``.

Same engine, data and results as the command line, without a terminal: nothing here prints.
May import every wing below it (model, data, results, engine, dsl, sweep); only ``cli`` sits
above it.
"""
