"""networks layer of ricci_lit."""
