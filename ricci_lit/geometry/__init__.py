"""geometry layer of ricci_lit."""
