"""cadencia.evals"""
