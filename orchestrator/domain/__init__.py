"""The domain vocabulary shared by every layer: units, legs, prices."""
