"""E-licenses and e-seals (电子证照与电子印章): License types, issued e-licenses, department e-seals, verification, revocation status and the holder wallet."""
