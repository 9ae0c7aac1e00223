"""cadencia.servers"""
