"""Virtual septic-shock populations: sampling, virtual screening, outcomes, calibration."""
