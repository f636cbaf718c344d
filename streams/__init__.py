"""The stream layer: the Faust app, its topics, agents and tables; a thin shell around ``models``."""
