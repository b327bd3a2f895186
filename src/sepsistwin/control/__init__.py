"""Therapy control on the model: schedule optimisation and Gymnasium environments."""
