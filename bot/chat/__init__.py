"""The chat networks behind one small interface (`transport.py`): the console
for try-outs and one package per network (`matrix/`). Adapters never import
each other, the domain or the handlers."""
