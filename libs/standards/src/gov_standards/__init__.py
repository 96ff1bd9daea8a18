"""National standards and reference data the whole platform shares, pure and without I/O:
``identifiers`` (GB 11643 citizen ID, GB 32100 unified social credit code), ``regions`` (GB/T 2260 codes and
the subtree rule), ``china_time`` (UTC+8 days) and ``calendar`` (working days over the holiday arrangements).
It imports nothing of the platform's: gov_common and every service may import it."""
