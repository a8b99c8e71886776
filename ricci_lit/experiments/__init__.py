"""experiments layer of ricci_lit."""
