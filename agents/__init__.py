"""cadencia.agents"""
