"""Sensor events: the HTTP endpoint for readers, the reader processes and the simulator."""
