"""The deterministic demo province: invented names and places, fixed demo accounts."""
