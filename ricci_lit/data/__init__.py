"""data layer of ricci_lit."""
