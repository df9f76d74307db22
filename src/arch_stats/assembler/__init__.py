"""The shot assembler: sensor events in, scored shots out (SPEC §3)."""
