"""The equipment domain: bows (versioned), arrow sets, sight marks, tuning."""
