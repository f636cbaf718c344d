"""Where Jaring repairs or bypasses Faust and aiokafka internals: the only place that may.

(The index of repairs is written in the next step.)
"""
