"""Balancing and alignment: assign units to territories so workload and other metrics are equitable."""
