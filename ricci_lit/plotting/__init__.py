"""plotting layer of ricci_lit."""
