"""analysis layer of ricci_lit."""
